"""The snapshot_date column of daily-partitioned tables."""

import datetime as dt

import pandas as pd
import pyarrow as pa

from imdb_pipeline.constants import SNAPSHOT_DATE

# Arrow-backed so that even an empty day keeps the column's type (a date, not unknown).
DATE_DTYPE = pd.ArrowDtype(pa.date32())


def with_snapshot_date(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The frame with snapshot_date = day as its first column."""
    dated = frame.reset_index(drop=True)
    dated.insert(0, SNAPSHOT_DATE, pd.array([day] * len(dated), dtype=DATE_DTYPE))
    return dated
