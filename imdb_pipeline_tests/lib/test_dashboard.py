"""The dashboard's figures, scorecard, page and PNG previews, on small DataFrames built here."""

import base64
import datetime as dt
import io
import re

import pandas as pd
import pytest

from imdb_pipeline.lib.dashboard import charts, page, previews, scorecard
from imdb_pipeline.lib.dashboard.scorecard import CheckOutcome, build_scorecard
from imdb_pipeline.lib.warehouse_tables import (
    AGG_DIRECTOR_STATS,
    AGG_GENRE_TRENDS,
    AGG_TOP_MOVIES,
    AGG_YEARLY_REVENUE,
)

NA = pd.NA
DAY = dt.date(2026, 3, 2)


def frame(table, rows: list[tuple]) -> pd.DataFrame:
    """A table as the warehouse IO manager gives it: declared columns, pyarrow-backed dtypes
    with <NA> for NULL."""
    return pd.DataFrame(rows, columns=list(table.column_names)).convert_dtypes(
        dtype_backend="pyarrow"
    )


YEARLY = frame(AGG_YEARLY_REVENUE, [
    (1994, 2, 2, 100.0, 50.0, NA),
    (1995, 1, 0, NA, NA, NA),  # a gross nobody knows: no bar, and no growth after it
    (1996, 1, 1, 30.0, 30.0, NA),
    (1999, 1, 1, 60.0, 60.0, NA),
    (2000, 2, 2, 90.0, 45.0, 50.0),
])  # fmt: skip

GENRES = frame(AGG_GENRE_TRENDS, [
    ("Drama", 1994, 2, 9.0, 100.0, 100.0),
    ("Crime", 1994, 1, 9.1, 60.0, 50.0),
    ("Drama", 1997, 1, 8.0, NA, 100.0),
])  # fmt: skip

TOP = frame(AGG_TOP_MOVIES, [
    (2, "tt2", "The Godfather", 1972, 9.1, 9.2, 1_900_000),
    (1, "tt1", "The Shawshank Redemption", 1994, 9.2, 9.3, 2_800_000),
    (3, "tt3", NA, NA, 8.9, NA, 40_000),
])  # fmt: skip

DIRECTORS = frame(AGG_DIRECTOR_STATS, [
    (1, "Frank Darabont", 2, 8.8, 70.0, 3_000_000, NA, 0, 1994, 1999, "tt1", "Shawshank", 9.2),
    (2, "Sergio Leone", 1, 8.8, NA, NA, 6.1, 1, 1966, 1966, "tt4", "The Good", 8.7),
    (3, "Christopher Nolan", 3, 8.6, 74.0, 5_000_000, 900.0, 3, 2000, 2014, "tt5", "Dark", 9.0),
])  # fmt: skip

CERTIFICATES = pd.DataFrame(
    [("MPAA", "R", 30), ("MPAA", "PG-13", 10), ("CBFC", "U", 5), (None, "K-16", 2),
     (None, None, 4)],
    columns=["certificate_system", "certificate", "movies"],
)  # fmt: skip


def trace(figure, name):
    [found] = [t for t in figure.data if t.name == name]
    return found


def test_yearly_revenue_puts_every_year_on_the_axis_and_leaves_unknowns_as_gaps():
    figure = charts.yearly_revenue_figure(YEARLY)

    bars, growth = trace(figure, "Box office (US$ millions)"), trace(figure, "Growth on the previous year (%)")
    assert list(bars.x) == list(range(1994, 2001))
    assert list(bars.y) == [100.0, None, 30.0, None, None, 60.0, 90.0]
    assert list(growth.y) == [None] * 6 + [50.0]
    assert growth.connectgaps is False
    assert bars.customdata[1] == "1 movies, 0 with a known gross"
    assert bars.customdata[2 + 1] == "no movies"


def test_genre_trends_are_0_in_a_year_without_the_genre_and_blank_in_a_year_without_movies():
    figure = charts.genre_trends_figure(GENRES)

    [heatmap] = figure.data
    assert list(heatmap.y) == ["Drama", "Crime"]  # most movies first
    assert list(heatmap.x) == [1994, 1995, 1996, 1997]
    assert [list(row) for row in heatmap.z] == [[100.0, None, None, 100.0],
                                                [50.0, None, None, 0.0]]  # fmt: skip


def test_top_movies_are_ranked_with_unknowns_kept_unknown():
    figure = charts.top_movies_figure(TOP)

    weighted, rating = trace(figure, "Weighted rating"), trace(figure, "IMDb rating")
    assert list(weighted.y) == ["1. The Shawshank Redemption (1994)", "2. The Godfather (1972)",
                                "3. tt3"]  # fmt: skip
    assert list(weighted.x) == [9.2, 9.1, 8.9]
    assert list(rating.x) == [9.3, 9.2, None]
    assert list(weighted.customdata) == ["2,800,000", "1,900,000", "40,000"]


def test_the_director_leaderboard_ranks_by_votes_and_says_unknown_instead_of_zero():
    figure = charts.director_leaderboard_figure(DIRECTORS)

    [bars] = figure.data
    assert list(bars.y) == ["Christopher Nolan", "Frank Darabont", "Sergio Leone"]
    assert list(bars.x) == [5.0, 3.0, None]
    darabont, leone = bars.customdata[1], bars.customdata[2]
    assert "box office unknown (0 with a known gross)" in darabont
    assert "metascore unknown" in leone and "1966<br>" in leone
    assert "US$ 900.0 M" in bars.customdata[0]


def test_certificates_are_grouped_by_rating_system_without_the_movies_that_have_none():
    figure = charts.certificates_figure(CERTIFICATES)

    assert [(t.name, list(t.x), list(t.y)) for t in figure.data] == [
        ("MPAA", ["R", "PG-13"], [30, 10]),
        ("CBFC", ["U"], [5]),
        ("Unclassified", ["K-16"], [2]),
    ]
    assert charts.certificate_summary(CERTIFICATES) == (
        "47 of the 51 movies of the latest snapshot have a certificate."
    )


@pytest.mark.parametrize("build", [
    charts.yearly_revenue_figure, charts.genre_trends_figure, charts.top_movies_figure,
    charts.director_leaderboard_figure, charts.certificates_figure, charts.check_trend_figure,
])  # fmt: skip
def test_an_empty_table_gives_a_figure_that_says_so(build):
    columns = {
        charts.yearly_revenue_figure: AGG_YEARLY_REVENUE.column_names,
        charts.genre_trends_figure: AGG_GENRE_TRENDS.column_names,
        charts.top_movies_figure: AGG_TOP_MOVIES.column_names,
        charts.director_leaderboard_figure: AGG_DIRECTOR_STATS.column_names,
        charts.certificates_figure: ["certificate_system", "certificate", "movies"],
        charts.check_trend_figure: ["run_id", "at", "label", *scorecard.STATUSES],
    }[build]

    figure = build(pd.DataFrame(columns=list(columns)))

    assert figure.data == ()
    assert figure.layout.annotations[0].text


def at(hour: int, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


CHECKS = [("staging.stg_movies", "ids"), ("staging.stg_movies", "complete"),
          ("analytics.agg_top_movies", "ranked"), ("core.dim_movies", "unique")]  # fmt: skip
OUTCOMES = [
    # yesterday: everything passed
    CheckOutcome("staging.stg_movies", "ids", "run-a", at(2, DAY - dt.timedelta(1)), True, "ERROR"),
    CheckOutcome("staging.stg_movies", "complete", "run-a", at(2, DAY - dt.timedelta(1)), True,
                 "WARN"),
    CheckOutcome("analytics.agg_top_movies", "ranked", "run-a", at(2, DAY - dt.timedelta(1)),
                 True, "ERROR"),
    # today's daily run: a WARN rule fails
    CheckOutcome("staging.stg_movies", "ids", "run-b", at(2), True, "ERROR"),
    CheckOutcome("staging.stg_movies", "complete", "run-b", at(2), False, "WARN"),
    CheckOutcome("analytics.agg_top_movies", "ranked", "run-b", at(2), True, "ERROR"),
    # a re-validation later today: the ranking broke
    CheckOutcome("analytics.agg_top_movies", "ranked", "run-c", at(9), False, "ERROR"),
]  # fmt: skip


def test_the_scorecard_counts_today_s_latest_results_and_every_result_of_the_last_runs():
    card = build_scorecard(CHECKS, OUTCOMES, DAY)

    rows = card.tables.set_index("table").to_dict("index")
    assert rows["staging.stg_movies"] == {
        "today_passed": 1, "today_warned": 1, "today_failed": 0, "today_not_run": 0,
        "runs_passed": 3, "runs_warned": 1, "runs_failed": 0,
    }  # fmt: skip
    assert rows["analytics.agg_top_movies"] == {
        "today_passed": 0, "today_warned": 0, "today_failed": 1, "today_not_run": 0,
        "runs_passed": 2, "runs_warned": 0, "runs_failed": 1,
    }  # fmt: skip
    assert rows["core.dim_movies"]["today_not_run"] == 1
    assert card.failing_today.values.tolist() == [
        ["analytics.agg_top_movies", "ranked", "failed"],
        ["staging.stg_movies", "complete", "warned"],
    ]
    assert card.trend[["run_id", "passed", "warned", "failed"]].values.tolist() == [
        ["run-a", 3, 0, 0], ["run-b", 2, 1, 0], ["run-c", 0, 0, 1],
    ]  # fmt: skip


def test_the_scorecard_history_keeps_only_the_latest_runs():
    card = build_scorecard(CHECKS, OUTCOMES, DAY, runs=2)

    assert list(card.trend["run_id"]) == ["run-b", "run-c"]
    staging = card.tables.set_index("table").loc["staging.stg_movies"]
    assert (staging["runs_passed"], staging["runs_warned"]) == (1, 1)


def test_the_scorecard_table_names_what_did_not_pass_today():
    html = scorecard.scorecard_table_html(build_scorecard(CHECKS, OUTCOMES, DAY))

    assert '<span class="badge failed">failed</span> <code>analytics.agg_top_movies</code> ranked' in html
    yesterday = build_scorecard(CHECKS, OUTCOMES[:3], DAY - dt.timedelta(1))
    assert "Every check evaluated today passed." in scorecard.scorecard_table_html(yesterday)
    nothing_yet = build_scorecard(CHECKS, OUTCOMES[:3], DAY + dt.timedelta(1))
    assert "No check has been evaluated today." in scorecard.scorecard_table_html(nothing_yet)


CHART_IDS = ["yearly-revenue-chart", "genre-trends-chart", "top-movies-chart", "directors-chart",
             "certificates-chart", "check-trend-chart"]  # fmt: skip


def rendered_page() -> str:
    tables = page.AnalyticsTables(YEARLY, GENRES, TOP, DIRECTORS, CERTIFICATES)
    return page.render_page(tables, build_scorecard(CHECKS, OUTCOMES, DAY), at(10))


def test_the_page_is_self_contained_with_plotly_inlined_once():
    html = rendered_page()

    # Nothing is fetched: no tag loads a script, stylesheet, image or frame, and the style
    # imports nothing (script bodies, plotly.js first of all, are code, not tags).
    tags = re.sub(r"(<script\b[^>]*>).*?</script>", r"\1</script>", html, flags=re.DOTALL)
    loading = r"<(?:script|link|img|iframe|object|embed|source)\b[^>]*\b(?:src|href|data)\s*="
    assert re.findall(loading, tags) == []
    [style] = re.findall(r"<style>(.*?)</style>", tags, flags=re.DOTALL)
    assert "url(" not in style and "@import" not in style
    head, body = html.split("</head>")
    assert head.count("<script") == 1  # plotly.js, once
    for chart_id in CHART_IDS:  # each chart: its div and the script that draws it
        assert body.count(f'<div id="{chart_id}"') == 1
        assert len(re.findall(rf'Plotly\.newPlot\(\s*"{chart_id}"', body)) == 1
    assert body.count("<script") == len(CHART_IDS)
    assert len(html) > 3_000_000  # plotly.js itself
    assert "<title>IMDb movies: analytics and data quality, 2026-03-02</title>" in html
    assert "2026-03-02 10:00 UTC" in html


def test_png_previews_decode_and_leave_unknown_values_without_a_bar():
    from PIL import Image

    png = previews.yearly_bars_png([1994, 1995, 1996], [10.0, None, NA], "Box office")
    markdown = previews.markdown_image(png, "Box office")

    match = re.fullmatch(r"!\[Box office\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown)
    decoded = base64.b64decode(match.group(1))
    assert decoded.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(decoded)).size == (512, 192)
    assert len(decoded) < 40_000  # small enough for the event log
    assert previews._number(None) != previews._number(None)  # NaN: no bar, never 0
    assert previews._number(NA) != previews._number(NA)


@pytest.mark.parametrize("table", [AGG_YEARLY_REVENUE, AGG_GENRE_TRENDS, AGG_TOP_MOVIES,
                                   AGG_DIRECTOR_STATS], ids=lambda table: table.name)  # fmt: skip
def test_each_aggregate_has_a_bounded_preview_query_and_chart(table):
    select = previews.preview_select(table)
    assert re.search(r"LIMIT \d+$", select)
    rows = [(1994, 10.0), (1995, None)] if table == AGG_YEARLY_REVENUE else [("a", 2.0), ("b", None)]
    assert previews.preview_png(table, rows).startswith(b"\x89PNG")
