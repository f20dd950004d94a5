"""Arrow record batches into PostgreSQL with one COPY, encoding the next batch while the server
ingests the current one.

Arrow's CSV writer quotes every string and writes NULL as an unquoted empty field, exactly
PostgreSQL's CSV convention, so an empty string and a NULL stay distinct and commas, quotes,
tabs, newlines, backslashes and unicode survive unchanged. A producer thread pulls the batches
(whatever computes them, e.g. a CSV parser, runs there) and encodes them; the COPY reads the
encoded chunks from a bounded queue, so memory holds a few batches at most and Python's work
overlaps the server's (Arrow and psycopg2 both release the GIL while they work).
"""

import io
import queue
import threading
from collections.abc import Iterable, Sequence

import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg2.extensions import cursor as PgCursor

from imdb_pipeline.lib.sql_text import quote

# Encoded batches waiting for the server: enough to keep both sides busy, few enough for memory.
QUEUE_DEPTH = 3
_END = object()


class _EncodedBatches(io.RawIOBase):
    """A read-only stream over CSV chunks produced by a background thread."""

    def __init__(self, batches: Iterable[pa.RecordBatch], columns: Sequence[str]):
        super().__init__()
        self.rows = 0
        self._columns = list(columns)
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_DEPTH)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._produce, args=(batches,), daemon=True)
        self._thread.start()

    def _produce(self, batches: Iterable[pa.RecordBatch]) -> None:
        options = pa_csv.WriteOptions(include_header=False)
        try:
            for batch in batches:
                if self._stop.is_set():
                    return
                if batch.num_rows == 0:
                    continue
                buffer = io.BytesIO()
                pa_csv.write_csv(batch.select(self._columns), buffer, options)
                self.rows += batch.num_rows
                self._put(buffer.getvalue())
        except Exception as error:  # handed to the reading side, raised there
            self._error = error
        finally:
            self._put(_END)

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        item = self._queue.get()
        if item is _END:
            self._queue.put(_END)
            if self._error is not None:
                raise self._error
            return b""
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        super().close()

    @property
    def error(self) -> BaseException | None:
        return self._error


def copy_batches(
    cursor: PgCursor,
    target: str,
    columns: Sequence[str],
    batches: Iterable[pa.RecordBatch],
    freeze: bool = False,
) -> int:
    """COPY the batches' `columns` into `target` (qualified); returns the rows sent.

    `freeze` writes the rows already frozen, for a table created in the same transaction (and
    savepoint): its readers then never rewrite its pages to mark the rows as committed."""
    options = "FORMAT csv, FREEZE" if freeze else "FORMAT csv"
    statement = f"COPY {target} ({', '.join(map(quote, columns))}) FROM STDIN WITH ({options})"
    stream = _EncodedBatches(batches, columns)
    try:
        cursor.copy_expert(statement, stream, size=1 << 20)
    except Exception:
        # A failure while computing the rows surfaces as a failed COPY: report the cause.
        if stream.error is not None:
            raise stream.error from None
        raise
    finally:
        stream.close()
    return stream.rows
