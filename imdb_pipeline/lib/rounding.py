"""Rounding as people and PostgreSQL's numeric ROUND do it: halves away from zero.

Binary floats store 8.725 as 8.72499999..., so a plain float round() would give 8.72 where an
analyst checking with `round(8.725::numeric, 2)` gets 8.73. A nudge far below the data's own
precision (ratings have 1 decimal, money 2) restores the decimal reading. The SQL side uses the
same float operations (`facts.round_half_up_sql`).
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NUDGE = 1e-9


def round_half_up(numbers: pa.Array, decimals: int) -> pa.Array:
    """The values rounded to `decimals` places, halves away from zero; nulls stay null."""
    values = numbers.to_numpy(zero_copy_only=False)
    scale = 10.0**decimals
    rounded = np.sign(values) * (np.floor(np.abs(values) * scale + 0.5 + NUDGE) / scale)
    return pa.array(rounded, mask=pc.is_null(numbers).to_numpy(zero_copy_only=False))
