"""Small PNG charts of the analytics tables, for the Dagster UI's asset pages.

The UI shows markdown metadata, and markdown can hold an image as a base64 `data:` URI: a
chart of a table's shape then sits beside its row count and preview. Each chart reads at most a
few hundred rows (`preview_select`). matplotlib draws them with its Agg renderer, which needs no
browser or display (kaleido, plotly's image export, needs a browser at run time); it is
imported only when a chart is drawn.
"""

import base64
import io
import math
from collections.abc import Sequence

from imdb_pipeline.lib.sql_text import quote
from imdb_pipeline.lib.warehouse_tables import (
    AGG_DIRECTOR_STATS,
    AGG_GENRE_TRENDS,
    AGG_TOP_MOVIES,
    AGG_YEARLY_REVENUE,
    Table,
)

MAX_ROWS = 300
BARS = 12
BLUE = "#2f6fb0"
LABEL_CHARACTERS = 30


def preview_select(table: Table) -> str:
    """The SELECT of (label, value) rows a table's chart shows, at most MAX_ROWS."""
    name, q = table.qualified, quote
    if table == AGG_YEARLY_REVENUE:
        return (f"SELECT {q('year')}, {q('total_gross_millions')} FROM {name} "
                f"ORDER BY {q('year')} DESC LIMIT {MAX_ROWS}")  # fmt: skip
    if table == AGG_GENRE_TRENDS:
        return (f"SELECT {q('genre_name')}, sum({q('total_movies')}) FROM {name} "
                f'GROUP BY 1 ORDER BY 2 DESC, {q("genre_name")} COLLATE "C" LIMIT {BARS}')  # fmt: skip
    if table == AGG_TOP_MOVIES:
        return (f"SELECT {q('rank')} || '. ' || coalesce({q('title')}, {q('movie_id')}), "
                f"{q('weighted_rating')} FROM {name} ORDER BY {q('rank')} LIMIT {BARS}")  # fmt: skip
    if table == AGG_DIRECTOR_STATS:
        return (f"SELECT {q('director_name')}, {q('total_votes')} FROM {name} "
                f'ORDER BY 2 DESC NULLS LAST, {q("director_name")} COLLATE "C" LIMIT {BARS}')  # fmt: skip
    raise ValueError(f"no preview chart for {table.schema}.{table.name}")


TITLES = {
    AGG_YEARLY_REVENUE.name: "Box office per release year (US$ M; no bar: unknown)",
    AGG_GENRE_TRENDS.name: "Movies per genre, all years",
    AGG_TOP_MOVIES.name: "Top movies by weighted rating",
    AGG_DIRECTOR_STATS.name: "Directors with the most votes (millions)",
}


def preview_png(table: Table, rows: Sequence[tuple]) -> bytes:
    """The chart of a table from the rows of its `preview_select`."""
    title = TITLES[table.name]
    if table == AGG_YEARLY_REVENUE:
        return yearly_bars_png([int(year) for year, _ in rows], [value for _, value in rows], title)
    # Weighted ratings differ in the decimals: bars from 0 would all look alike.
    tight = table == AGG_TOP_MOVIES
    scale = 1e6 if table == AGG_DIRECTOR_STATS else 1
    amounts = [None if value is None else float(value) / scale for _, value in rows]
    return ranking_png([str(label) for label, _ in rows], amounts, title, tight=tight)


def _number(value) -> float:
    """A missing value (None, NaN, pandas' NA) becomes NaN: matplotlib draws no bar for it,
    never a zero-height one."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=80, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _frame(axes, title: str) -> None:
    axes.set_title(title, fontsize=10, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)


def yearly_bars_png(years: Sequence[int], amounts: Sequence, title: str) -> bytes:
    """One bar per year; a year with an unknown amount has no bar."""
    figure = _figure(6.4, 2.4)
    axes = figure.add_subplot()
    axes.bar(list(years), [_number(value) for value in amounts], width=0.8, color=BLUE)
    axes.grid(axis="y", alpha=0.3)
    _frame(axes, title)
    return _png(figure)


def ranking_png(
    labels: Sequence[str], amounts: Sequence, title: str, tight: bool = False
) -> bytes:
    """Horizontal bars, the first label on top; `tight` starts the axis near the smallest
    value instead of 0."""
    short = [label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"
             for label in labels]  # fmt: skip
    figure = _figure(6.4, 0.22 * max(len(labels), 4) + 0.7)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    numbers = [_number(value) for value in amounts]
    axes.barh(positions, numbers, color=BLUE)
    known = [number for number in numbers if not math.isnan(number)]
    if tight and known:
        spread = max(known) - min(known) or 1.0
        axes.set_xlim(min(known) - 0.5 * spread, max(known) + 0.1 * spread)
    axes.set_yticks(positions, short)
    axes.invert_yaxis()
    axes.grid(axis="x", alpha=0.3)
    _frame(axes, title)
    return _png(figure)


def markdown_image(png: bytes, alt: str) -> str:
    """Markdown showing the PNG inline, as the Dagster UI renders it."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"
