"""Data-quality rules as plain data: what to expect of a table, in Great Expectations' terms.

Building suites imports nothing heavy; `gx_runner` turns them into GX objects when a check runs
(Great Expectations costs seconds to import). One rule is one Dagster asset check: a family of
expectations a data steward reads as one line in the UI.
"""

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from imdb_pipeline.lib import masking
from imdb_pipeline.lib.warehouse_tables import Table


class Severity(str, Enum):
    ERROR = "ERROR"
    WARN = "WARN"


@dataclass(frozen=True)
class Expectation:
    """A Great Expectations expectation by class name, with its arguments.

    `{batch}` in an `ExpectQueryToReturnNoRows` query is the slice being validated (one day of a
    partitioned table, or the whole table). Great Expectations puts a subquery there, with an
    alias of its own (`AS subselect`) unless the query has a JOIN: then the query names it
    (`FROM {batch} AS f JOIN ...`). PostgreSQL before 16 refuses a subquery without an alias.
    """

    kind: str
    arguments: dict[str, Any] = field(default_factory=dict)
    summary: str = ""


@dataclass(frozen=True)
class Rule:
    """One asset check: a name, what it means to a steward, how bad a failure is."""

    name: str
    description: str
    severity: Severity
    expectations: tuple[Expectation, ...]
    # A query over `{batch}` returning one row, run with every validation of the rule, passed
    # or failed: its columns are added to the check's metadata, so a steward sees the real
    # figures (a rate, a count of movies). `unexpected_count` and `unexpected_percent` among
    # them stand for the rule as a whole.
    measure: str | None = None

    @property
    def blocking(self) -> bool:
        """Structural rules stop downstream assets from materializing on bad data."""
        return self.severity is Severity.ERROR


@dataclass(frozen=True)
class TableSuite:
    """The rules of one warehouse table; daily tables are validated one day at a time."""

    target: Table
    rules: tuple[Rule, ...]
    # A one-row query (over `{batch}`, or none) whose columns are added to every rule's
    # metadata: what a steward wants beside any of the table's checks (the day's rejects).
    measure: str | None = None
    # Queries a steward can run to see more, by metadata name, shown with every rule as SQL.
    queries: tuple[tuple[str, str], ...] = ()

    @property
    def sample_columns(self) -> tuple[str, ...]:
        """The columns that name a row, shown beside each offending value of a row-level
        expectation: the primary key without the day (a movie's `movie_id`)."""
        return tuple(name for name in self.target.primary_key if name != self.partition_column)

    @property
    def sensitive_columns(self) -> frozenset[str]:
        """The columns whose values are masked in samples, Data Docs and alerts."""
        return masking.sensitive_columns(self.target)

    @property
    def asset_path(self) -> tuple[str, ...]:
        return (self.target.schema, self.target.name)

    @property
    def partition_column(self) -> str | None:
        return self.target.partition_column

    @property
    def schema(self) -> str:
        return self.target.schema

    @property
    def table(self) -> str:
        return self.target.name

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"


def unexpected_rows(query: str, summary: str) -> Expectation:
    """Rows returned by `query` (with `{batch}` for the slice) are failures."""
    return Expectation("ExpectQueryToReturnNoRows",
                       {"unexpected_rows_query": query, "description": summary}, summary)  # fmt: skip


def expect(kind: str, summary: str, **arguments: Any) -> Expectation:
    return Expectation(kind, arguments, summary)
