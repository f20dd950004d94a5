"""Rounding as people and PostgreSQL's numeric ROUND do it: halves away from zero.

Binary floats store 8.725 as 8.72499999..., so pandas' round() would print 8.72 where an analyst
checking with `round(avg(rating)::numeric, 2)` gets 8.73. A nudge far below the data's own
precision (ratings have 1 decimal, money 2) restores the decimal reading.
"""

import numpy as np
import pandas as pd

_NUDGE = 1e-9


def round_half_up(values: pd.Series, decimals: int) -> pd.Series:
    scale = 10.0**decimals
    magnitude = np.floor(values.abs() * scale + 0.5 + _NUDGE) / scale
    return (np.sign(values) * magnitude).astype("Float64")


def round_columns(frame: pd.DataFrame, decimals: dict[str, int]) -> pd.DataFrame:
    return frame.assign(
        **{name: round_half_up(frame[name].astype("Float64"), digits) for name, digits in decimals.items()}
    )
