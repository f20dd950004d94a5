"""The dashboard as one HTML page: every chart, the scorecard, and plotly.js inlined once."""

import datetime as dt
from dataclasses import dataclass
from html import escape

import pandas as pd
import plotly.graph_objects as go

from imdb_pipeline.lib.dashboard import charts
from imdb_pipeline.lib.dashboard.scorecard import Scorecard, scorecard_table_html

TITLE = "IMDb movies: analytics and data quality"
# Plotly's mode bar without the links and tools that need a server or make no sense here.
PLOT_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


@dataclass(frozen=True)
class AnalyticsTables:
    """The analytics tables as DataFrames, and movies per certificate (`certificate_system`,
    `certificate`, `movies`) of the latest snapshot."""

    yearly_revenue: pd.DataFrame
    genre_trends: pd.DataFrame
    top_movies: pd.DataFrame
    director_stats: pd.DataFrame
    certificates: pd.DataFrame


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    caption: str
    body: str
    wide: bool = True


def figure_html(figure: go.Figure, div_id: str) -> str:
    """A figure's div and drawing script, without plotly.js (the page's head holds it)."""
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                          config=PLOT_CONFIG, default_width="100%")  # fmt: skip


def sections(tables: AnalyticsTables, scorecard: Scorecard) -> list[Section]:
    top_size = len(tables.top_movies.head(20))
    return [
        Section("yearly-revenue", "Box office per release year",
                "Total US gross of each year's movies (bars) and its growth on the previous "
                "year (line). No bar: no movie of that year has a known gross; the line breaks "
                "where the previous year is missing or unknown.",
                figure_html(charts.yearly_revenue_figure(tables.yearly_revenue), "yearly-revenue-chart")),
        Section("genre-trends", "Genres over the years",
                "Each genre's share of the year's movies (a movie has up to three genres, so a "
                "year's shares add up to more than 100 %). Grey: no movie that year.",
                figure_html(charts.genre_trends_figure(tables.genre_trends), "genre-trends-chart")),
        Section("top-movies", f"Top {top_size} movies",
                "Ranked by weighted rating (filled), which pulls a rating with few votes towards "
                "the mean; rings are the plain IMDb rating.",
                figure_html(charts.top_movies_figure(tables.top_movies), "top-movies-chart"),
                wide=False),
        Section("directors", "Director leaderboard",
                "Directors with the most votes over all their movies; colour: average rating. "
                "Hover for metascore, box office (unknown when no movie has one) and best movie.",
                figure_html(charts.director_leaderboard_figure(tables.director_stats),
                            "directors-chart"),
                wide=False),
        Section("certificates", "Movies by certificate",
                charts.certificate_summary(tables.certificates) + " Colours are the rating "
                "systems; Unclassified: a certificate of no known system.",
                figure_html(charts.certificates_figure(tables.certificates), "certificates-chart")),
        Section("data-quality", "Data-quality scorecard",
                f"Checks per table: today's latest result of each, and every result of the last "
                f"{scorecard.runs} runs that evaluated checks. Warned: a WARN check did not pass; "
                "failed: an ERROR check did not pass.",
                scorecard_table_html(scorecard)
                + figure_html(charts.check_trend_figure(scorecard.trend), "check-trend-chart")),
    ]  # fmt: skip


def _kpis(tables: AnalyticsTables, scorecard: Scorecard) -> list[tuple[str, str]]:
    yearly = tables.yearly_revenue
    years = "none" if yearly.empty else f"{int(yearly['year'].min())}–{int(yearly['year'].max())}"
    gross = pd.to_numeric(yearly["total_gross_millions"], errors="coerce").sum(min_count=1)
    top = tables.top_movies.sort_values("rank").head(1)
    best = "none" if top.empty else charts.short_title(top["title"].iloc[0], top["movie_id"].iloc[0])
    today = scorecard.tables
    problems = int(today["today_failed"].sum()), int(today["today_warned"].sum())
    return [
        ("Movies", f"{int(pd.to_numeric(tables.certificates['movies']).sum()):,}"),
        ("Release years", years),
        ("Known box office", "unknown" if pd.isna(gross) else f"US$ {gross / 1000:,.1f} B"),
        ("Directors", f"{len(tables.director_stats):,}"),
        ("Top movie", best),
        ("Checks today", f"{problems[0]} failed · {problems[1]} warned"),
    ]


def render_page(tables: AnalyticsTables, scorecard: Scorecard, built_at: dt.datetime) -> str:
    """The whole page. Everything is inline: it renders offline, from a file or a bucket."""
    from plotly.offline import get_plotlyjs

    parts = sections(tables, scorecard)
    navigation = "".join(f'<a href="#{s.anchor}">{escape(s.title)}</a>' for s in parts)
    kpis = "".join(
        f'<div class="kpi"><div class="label">{escape(label)}</div>'
        f'<div class="value" title="{escape(value)}">{escape(value)}</div></div>'
        for label, value in _kpis(tables, scorecard)
    )
    cards = "".join(
        f'<section class="card{" wide" if s.wide else ""}" id="{s.anchor}">'
        f"<h2>{escape(s.title)}</h2><p class=\"caption\">{escape(s.caption)}</p>{s.body}</section>"
        for s in parts
    )
    built = f"{built_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(TITLE)}, {scorecard.day.isoformat()}</title>
<style>{CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<header>
<h1>{escape(TITLE)}</h1>
<p class="subtitle">The warehouse's latest snapshot, built {built}. Hover a chart for values;
drag to zoom, double-click to reset; click a legend entry to hide it.</p>
<nav>{navigation}</nav>
</header>
<div class="kpis">{kpis}</div>
<main>{cards}</main>
<footer>Built by the asset analytics/analytics_dashboard of imdb_pipeline.</footer>
</body>
</html>
"""


CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --page: #f5f7fa;
        --passed: #2e9e5b; --warned: #b07d00; --failed: #d64545; --accent: #2f6fb0; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink);
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 20px 32px 12px; }
h1 { margin: 0 0 4px; font-size: 24px; }
.subtitle { margin: 0 0 10px; color: var(--muted); max-width: 900px; }
nav a { display: inline-block; margin: 0 16px 6px 0; color: var(--accent);
        text-decoration: none; font-weight: 600; }
nav a:hover { text-decoration: underline; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px;
        padding: 18px 32px 0; }
.kpi { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; }
.kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase;
              letter-spacing: .04em; }
.kpi .value { font-size: 19px; font-weight: 650; line-height: 1.25; overflow-wrap: anywhere; }
main { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 18px;
       padding: 18px 32px 24px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 12px;
        padding: 16px 18px 10px; min-width: 0; }
.card.wide { grid-column: 1 / -1; }
@media (max-width: 1100px) { main { grid-template-columns: minmax(0, 1fr); } }
h2 { margin: 0 0 2px; font-size: 18px; }
h3 { margin: 18px 0 6px; font-size: 15px; }
.caption { margin: 0 0 8px; color: var(--muted); font-size: 13px; max-width: 1000px; }
table.scorecard { border-collapse: collapse; width: 100%; margin: 6px 0 4px; font-size: 14px; }
.scorecard th, .scorecard td { border-bottom: 1px solid var(--line); padding: 6px 10px;
                               text-align: center; }
.scorecard th[scope=row] { text-align: left; font-weight: 600;
                           font-family: ui-monospace, Menlo, Consolas, monospace; }
.scorecard thead th { color: var(--muted); font-weight: 600; font-size: 12px;
                      text-transform: uppercase; letter-spacing: .04em; }
.badge { display: inline-block; min-width: 2.2em; padding: 1px 8px; border-radius: 999px;
         font-weight: 650; color: #fff; }
.badge.zero { color: #9aa5b1; background: transparent; }
.badge.passed { background: var(--passed); }
.badge.warned { background: var(--warned); }
.badge.failed { background: var(--failed); }
.badge.not-run { background: #9aa5b1; }
ul.failing { margin: 0 0 10px; padding-left: 0; list-style: none; }
ul.failing li { margin: 4px 0; }
.all-clear { color: var(--passed); font-weight: 600; }
.none-today { color: var(--muted); font-weight: 600; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
footer { color: var(--muted); font-size: 12px; padding: 0 32px 24px; }
"""
