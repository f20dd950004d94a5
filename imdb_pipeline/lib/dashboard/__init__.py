"""The analytics dashboard: one self-contained HTML page of interactive charts.

Charts are plotly figures, and plotly.js is inlined once in the page's head, so that:
- the page renders offline: no script, style or font comes from a CDN, and a steward can open
  the stored file from a laptop, a mail attachment or a bucket without internet;
- charts are interactive (hover values, zoom, legend toggles) where a picture only shows;
- the page is one file, stored and versioned like any other artefact of the pipeline.

Figures are built from the analytics tables as DataFrames; unknown values (a year's gross, a
director's metascore) stay unknown: gaps in lines and bars, "unknown" in hover text, never 0.
PNG previews for the Dagster UI (`previews`) use matplotlib's Agg renderer, which needs no
browser. Nothing here imports Dagster.
"""
