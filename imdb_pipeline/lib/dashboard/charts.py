"""The dashboard's plotly figures, one per question, each built from an analytics table.

Inputs are the tables as DataFrames, with their declared columns (`warehouse_tables`); nullable
dtypes or NaN both mean unknown. An empty table gives a figure that says so, not an empty frame.
"""

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from imdb_pipeline.lib.certificates import SYSTEMS

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK, MUTED, GRID = "#1f2933", "#7b8794", "#e4e7eb"
BLUE, ORANGE, TEAL = "#2f6fb0", "#e07b39", "#2a9d8f"
STATUS_COLORS = {"passed": "#2e9e5b", "warned": "#e0a100", "failed": "#d64545"}
UNCLASSIFIED = "Unclassified"
SYSTEM_COLORS = ["#2f6fb0", "#8e6cc0", "#e07b39", "#2a9d8f", "#7b8794", "#c44f7d"]
UNKNOWN = "unknown"
TITLE_CHARACTERS = 42


def values(series: Iterable) -> list:
    """Plain Python values for plotly, missing ones as None (a gap, never 0)."""
    return [None if pd.isna(value) else (value.item() if hasattr(value, "item") else value)
            for value in series]  # fmt: skip


def _text(value, template: str = "{}") -> str:
    return UNKNOWN if pd.isna(value) else template.format(value)


def short_title(title, fallback: str) -> str:
    """The title, cut to fit a label; `fallback` (e.g. the movie id) when it is unknown."""
    title = fallback if pd.isna(title) or not str(title).strip() else str(title)
    return title if len(title) <= TITLE_CHARACTERS else title[: TITLE_CHARACTERS - 1] + "…"


def _style(figure: go.Figure, height: int, **layout) -> go.Figure:
    figure.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 20, "t": 40, "b": 10},
        font={"family": FONT, "size": 13, "color": INK},
        hoverlabel={"font_family": FONT},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "xanchor": "left"},
        **layout,
    )
    return figure


def empty_figure(message: str, height: int = 200) -> go.Figure:
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, font={"size": 15, "color": MUTED})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return _style(figure, height)


def _year_step(years: list[int]) -> int:
    """Whole years between ticks, about 15 ticks at most: never a tick between two years."""
    return max(1, -(-len(years) // 15))


def yearly_revenue_figure(yearly: pd.DataFrame) -> go.Figure:
    """Box office per release year (bars) and its year-over-year growth (line, right axis).
    Every year of the range is on the axis: a year without movies or without a known gross has
    no bar, and the growth line breaks where it is unknown."""
    if yearly.empty:
        return empty_figure("No release year is known yet.")
    frame = yearly.astype({"year": "int64"}).set_index("year").sort_index()
    years = list(range(int(frame.index.min()), int(frame.index.max()) + 1))
    frame = frame.reindex(years)
    movies = [
        "no movies" if pd.isna(total) else f"{int(total)} movies, {int(known)} with a known gross"
        for total, known in zip(frame["total_movies"], frame["movies_with_gross"])
    ]
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_bar(
        x=years, y=values(frame["total_gross_millions"]), name="Box office (US$ millions)",
        marker_color=BLUE, customdata=movies,
        hovertemplate="%{x}: US$ %{y:,.1f} M<br>%{customdata}<extra></extra>",
    )  # fmt: skip
    figure.add_scatter(
        x=years, y=values(frame["yoy_growth_pct"]), name="Growth on the previous year (%)",
        mode="lines+markers", connectgaps=False, line={"color": ORANGE, "width": 2},
        marker={"size": 7}, hovertemplate="%{x}: %{y:+.1f}% on the year before<extra></extra>",
        secondary_y=True,
    )  # fmt: skip
    figure.update_yaxes(title_text="US$ millions", secondary_y=False, rangemode="tozero")
    figure.update_yaxes(title_text="growth %", secondary_y=True, showgrid=False, rangemode="tozero",
                        zeroline=True, zerolinecolor=GRID, ticksuffix="%")  # fmt: skip
    figure.update_xaxes(title_text="release year", tickformat="d", dtick=_year_step(years))
    return _style(figure, 400, bargap=0.15)


def genre_trends_figure(genres: pd.DataFrame) -> go.Figure:
    """Each genre's share of each year's movies, as a heatmap: genres (most movies first) by
    year. A year with movies but none of a genre is 0 %; a year without movies is blank (grey)."""
    if genres.empty:
        return empty_figure("No genre is known yet.")
    frame = genres.astype({"year": "int64", "total_movies": "int64",
                           "share_of_year_pct": "float64"})  # fmt: skip
    order = (
        frame.groupby("genre_name")["total_movies"].sum()
        .sort_values(ascending=False, kind="stable").index
    )  # fmt: skip
    years = list(range(int(frame["year"].min()), int(frame["year"].max()) + 1))
    with_movies = sorted(frame["year"].unique())

    def grid(column: str) -> pd.DataFrame:
        table = frame.pivot(index="genre_name", columns="year", values=column)
        table = table.reindex(index=order, columns=years)
        table[with_movies] = table[with_movies].fillna(0)
        return table

    shares, counts = grid("share_of_year_pct"), grid("total_movies")
    figure = go.Figure(
        go.Heatmap(
            z=[values(row) for row in shares.to_numpy()],
            x=years, y=list(order),
            customdata=[values(row) for row in counts.to_numpy()],
            colorscale="Blues", zmin=0, xgap=1, ygap=1, hoverongaps=False,
            colorbar={"title": {"text": "% of the<br>year's movies"}, "ticksuffix": "%"},
            hovertemplate="%{y} in %{x}: %{z:.1f}% of the year's movies "
                          "(%{customdata:.0f} movies)<extra></extra>",
        )
    )  # fmt: skip
    figure.update_yaxes(autorange="reversed", ticks="", showgrid=False)
    figure.update_xaxes(title_text="release year", showgrid=False, tickformat="d",
                        dtick=_year_step(years))  # fmt: skip
    # Grey behind the cells: a year without movies shows grey, a share of 0 % near white.
    return _style(figure, max(320, 24 * len(order) + 110), plot_bgcolor="#e4e7eb")


def top_movies_figure(top: pd.DataFrame, size: int = 20) -> go.Figure:
    """The best movies by weighted rating (filled dots), beside their plain IMDb rating (rings):
    the distance between them is how much the votes pull a rating to the mean."""
    if top.empty:
        return empty_figure("No movie has enough votes to be ranked yet.")
    frame = top.sort_values("rank").head(size)
    labels = [
        f"{int(rank)}. {short_title(title, movie_id)}" + ("" if pd.isna(year) else f" ({int(year)})")
        for rank, title, movie_id, year in zip(
            frame["rank"], frame["title"], frame["movie_id"], frame["year"]
        )
    ]
    weighted, rating = values(frame["weighted_rating"]), values(frame["rating"])
    votes = [UNKNOWN if pd.isna(v) else f"{int(v):,}" for v in frame["votes"]]
    links_x, links_y = [], []
    for label, low, high in zip(labels, weighted, rating):
        if low is not None and high is not None:
            links_x += [low, high, None]
            links_y += [label, label, None]
    figure = go.Figure()
    figure.add_scatter(x=links_x, y=links_y, mode="lines", line={"color": GRID, "width": 3},
                       hoverinfo="skip", showlegend=False)  # fmt: skip
    figure.add_scatter(
        x=rating, y=labels, mode="markers", name="IMDb rating",
        marker={"size": 10, "symbol": "circle-open", "color": MUTED, "line": {"width": 2}},
        hovertemplate="%{y}<br>IMDb rating %{x:.1f}<extra></extra>",
    )  # fmt: skip
    figure.add_scatter(
        x=weighted, y=labels, mode="markers", name="Weighted rating",
        marker={"size": 12, "color": BLUE}, customdata=votes,
        hovertemplate="%{y}<br>weighted rating %{x:.3f}<br>%{customdata} votes<extra></extra>",
    )  # fmt: skip
    figure.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=labels,
                        ticksuffix="  ")  # fmt: skip
    figure.update_xaxes(title_text="rating out of 10")
    return _style(figure, max(300, 26 * len(labels) + 110))


def director_leaderboard_figure(directors: pd.DataFrame, size: int = 15) -> go.Figure:
    """The directors with the most votes over their movies; the colour is their average rating."""
    if directors.empty:
        return empty_figure("No director is known yet.")
    frame = directors.sort_values(
        ["total_votes", "total_movies", "director_name"],
        ascending=[False, False, True], na_position="last",
    ).head(size)  # fmt: skip
    details = [
        f"{int(movies)} movie{'s' if movies != 1 else ''}, {_years(first, last)}<br>"
        f"average rating {_text(rating, '{:.2f}')}, metascore {_text(metascore, '{:.1f}')}<br>"
        f"box office {_text(gross, 'US$ {:,.1f} M')} ({int(with_gross)} with a known gross)<br>"
        f"best: {short_title(best, UNKNOWN)}"
        for movies, first, last, rating, metascore, gross, with_gross, best in zip(
            frame["total_movies"], frame["first_year"], frame["last_year"], frame["avg_rating"],
            frame["avg_metascore"], frame["total_gross_millions"], frame["movies_with_gross"],
            frame["best_movie_title"],
        )
    ]  # fmt: skip
    votes = [None if v is None else v / 1e6 for v in values(frame["total_votes"])]
    counts = [f"{int(m)} movie{'s' if m != 1 else ''}" for m in frame["total_movies"]]
    figure = go.Figure(
        go.Bar(
            x=votes, y=list(frame["director_name"]), orientation="h", text=counts,
            textposition="auto", customdata=details,
            marker={"color": values(frame["avg_rating"]), "colorscale": "Viridis",
                        "colorbar": {"title": {"text": "average<br>rating"}}},
            hovertemplate="<b>%{y}</b><br>%{x:.2f} M votes<br>%{customdata}<extra></extra>",
        )
    )  # fmt: skip
    figure.update_yaxes(autorange="reversed", ticksuffix="  ")
    figure.update_xaxes(title_text="votes (millions), over all their movies")
    return _style(figure, max(320, 28 * len(frame) + 110))


def _years(first, last) -> str:
    if pd.isna(first):
        return "years unknown"
    return f"{int(first)}" if first == last else f"{int(first)}–{int(last)}"


def certificates_figure(certificates: pd.DataFrame) -> go.Figure:
    """Movies per certificate, one colour per rating system (`lib/certificates.py`); a
    certificate of no known system is `Unclassified`. Movies without a certificate are left
    out (see `certificate_summary`)."""
    known = certificates[certificates["certificate"].notna()].copy()
    if known.empty:
        return empty_figure("No movie of the latest snapshot has a certificate.")
    known["system"] = known["certificate_system"].fillna(UNCLASSIFIED)
    descriptions = {system.name: system.description for system in SYSTEMS}
    order = [system.name for system in SYSTEMS] + [UNCLASSIFIED]
    order += sorted(set(known["system"]) - set(order))
    figure = go.Figure()
    categories = []
    for color, system in zip(SYSTEM_COLORS * 2, order):
        rows = known[known["system"] == system].sort_values(
            ["movies", "certificate"], ascending=[False, True]
        )
        if rows.empty:
            continue
        categories += list(rows["certificate"])
        figure.add_bar(
            x=list(rows["certificate"]), y=values(rows["movies"]), name=system,
            marker_color=color,
            hovertemplate=f"%{{x}}: %{{y}} movies<br>{descriptions.get(system, 'no known rating system')}"
                          "<extra></extra>",
        )  # fmt: skip
    figure.update_xaxes(categoryorder="array", categoryarray=categories, title_text="certificate")
    figure.update_yaxes(title_text="movies")
    return _style(figure, 360, bargap=0.25)


def certificate_summary(certificates: pd.DataFrame) -> str:
    """A sentence on how many movies the chart covers."""
    total = int(certificates["movies"].sum())
    known = int(certificates.loc[certificates["certificate"].notna(), "movies"].sum())
    return f"{known} of the {total} movies of the latest snapshot have a certificate."


def check_trend_figure(trend: pd.DataFrame) -> go.Figure:
    """Checks passed, warned and failed per run (oldest on the left), stacked."""
    if trend.empty:
        return empty_figure("No check has been evaluated yet.")
    figure = go.Figure()
    for status, color in STATUS_COLORS.items():
        figure.add_bar(
            x=list(trend["label"]), y=values(trend[status]), name=status, marker_color=color,
            hovertemplate=f"%{{x}}: %{{y}} {status}<extra></extra>",
        )  # fmt: skip
    figure.update_xaxes(type="category", tickangle=-40, title_text="run (UTC start · id)")
    figure.update_yaxes(title_text="checks")
    return _style(figure, 360, barmode="stack", bargap=0.4, legend_traceorder="normal")
