"""Great Expectations' validation results without sensitive values, before they are stored.

Data Docs pages are rendered from the stored results, and the stored results are files under
the pipeline home: a sensitive value that reached either would outlive the run. GX offers no
per-expectation result format (a validation's `result_format` wins over an expectation's), so
each suite's result is masked (`lib/masking.py`) on its way into the project's results store:
no file and no page ever holds the raw value, and the result the checks read is the same
masked one.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from imdb_pipeline.lib import masking


def mask_suite_result(suite_result, sensitive: frozenset[str]) -> None:
    """Mask, in place, every expectation result of a suite's validation (GX's
    ExpectationSuiteValidationResult)."""
    if not sensitive:
        return
    for expectation_result in suite_result.results:
        if expectation_result.result:
            expectation_result.result = masking.mask_expectation_result(
                expectation_result.expectation_config.kwargs,
                expectation_result.result,
                sensitive,
            )


@contextmanager
def results_stored_masked(
    context, sensitive_by_suite: Mapping[str, frozenset[str]]
) -> Iterator[None]:
    """While open, the results store of `context` masks each suite's result (by suite name)
    before writing it. Checkpoints and validation definitions store through this one call."""
    store = context.validation_results_store
    store_as_given = store.store_validation_results

    def store_masked(suite_validation_result, *args, **kwargs):
        sensitive = sensitive_by_suite.get(
            suite_validation_result.suite_name, frozenset()
        )
        mask_suite_result(suite_validation_result, sensitive)
        return store_as_given(suite_validation_result, *args, **kwargs)

    store.store_validation_results = store_masked
    try:
        yield
    finally:
        del store.store_validation_results  # the class's own method again
