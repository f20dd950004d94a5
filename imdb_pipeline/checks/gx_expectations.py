"""A Great Expectations expectation of our own, registered with GX when this module is imported
(only inside a check: importing GX takes seconds)."""

from typing import ClassVar

from great_expectations.expectations import UnexpectedRowsExpectation


class ExpectQueryToReturnNoRows(UnexpectedRowsExpectation):
    """Rows returned by `unexpected_rows_query` are failures; only they are counted.

    GX's UnexpectedRowsExpectation runs its query twice, once to count the rows and once to
    fetch them, which doubles the cost of a check that joins millions of rows even when it
    passes. The check runner fetches a sample of the offending rows itself, and only when the
    count is not zero.
    """

    metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.row_count",)

    def _validate(self, metrics: dict, runtime_configuration=None, execution_engine=None) -> dict:
        count = metrics["unexpected_rows_query.row_count"]
        return {"success": count == 0, "result": {"observed_value": count}}
