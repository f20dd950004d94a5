"""Is a value unusual compared with its recent history? A robust test that tolerates noise.

The recent median is the reference. A value is an anomaly when it is both far from the median
in relative terms (more than `tolerance`, e.g. 30 %) and far in robust z-score terms
(|0.6745 * (x - median) / MAD| > `z_limit`, Iglewicz and Hoaglin's 3.5), so ordinary daily
variation passes and a halved file fails. With a perfectly flat history (MAD = 0) only the
relative test applies.
"""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MIN_HISTORY = 3
Z_LIMIT = 3.5


@dataclass(frozen=True)
class Verdict:
    value: float
    median: float | None
    relative_change: float | None
    robust_z: float | None
    history_size: int
    is_anomaly: bool
    reason: str


def judge(
    value: float, history: Sequence[float], tolerance: float, z_limit: float = Z_LIMIT
) -> Verdict:
    history = [float(item) for item in history if item is not None and not math.isnan(item)]
    if len(history) < MIN_HISTORY:
        return Verdict(value, None, None, None, len(history), False,
                       f"learning: {len(history)} previous run(s), {MIN_HISTORY} needed")  # fmt: skip
    median = statistics.median(history)
    mad = statistics.median(abs(item - median) for item in history)
    if median:
        relative = (value - median) / abs(median)
    else:
        relative = 0.0 if value == median else math.inf
    if mad:
        robust_z = 0.6745 * (value - median) / mad
    else:
        robust_z = 0.0 if value == median else math.copysign(math.inf, value - median)
    anomaly = abs(relative) > tolerance and abs(robust_z) > z_limit
    direction = "above" if value > median else "below"
    reason = (
        f"{value:g} is {abs(relative):.0%} {direction} the median {median:g} of the last "
        f"{len(history)} runs" if anomaly else "within the usual range"
    )
    return Verdict(value, median, relative, robust_z, len(history), anomaly, reason)
