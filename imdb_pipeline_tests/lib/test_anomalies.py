import pytest

from imdb_pipeline.lib.anomalies import judge

STABLE = [1000, 1010, 990, 1005, 995]


def test_half_the_usual_rows_is_an_anomaly():
    verdict = judge(500, STABLE, tolerance=0.3)
    assert verdict.is_anomaly
    assert verdict.median == 1000
    assert verdict.relative_change == pytest.approx(-0.5)
    assert "50% below the median 1000 of the last 5 runs" in verdict.reason


def test_a_sudden_spike_is_an_anomaly():
    assert judge(5000, STABLE, tolerance=0.3).is_anomaly


@pytest.mark.parametrize("value", [960, 1000, 1040, 1100])
def test_ordinary_variation_passes(value):
    assert not judge(value, STABLE, tolerance=0.3).is_anomaly


def test_a_flat_history_uses_the_relative_test_only():
    assert not judge(1100, [1000] * 5, tolerance=0.3).is_anomaly
    assert judge(1400, [1000] * 5, tolerance=0.3).is_anomaly


def test_a_noisy_history_needs_a_large_robust_z_as_well():
    noisy = [1000, 1500, 700, 1300, 900]
    # 40 % above the median, but well within this history's own spread.
    assert not judge(1400, noisy, tolerance=0.3).is_anomaly


def test_too_little_history_is_learning_not_an_anomaly():
    verdict = judge(10, [1000, 1000], tolerance=0.3)
    assert not verdict.is_anomaly
    assert verdict.reason == "learning: 2 previous run(s), 3 needed"


def test_missing_values_in_history_are_ignored():
    assert judge(500, [1000, None, 1000, float("nan"), 1000], tolerance=0.3).is_anomaly
