"""Retries for steps that touch S3 or PostgreSQL: a dropped connection or a busy server gets
another chance, with exponential backoff and jitter so parallel retries do not arrive together.
A bad file is never retried: the assets raise `dg.Failure(allow_retries=False)` for it."""

import dagster as dg

TRANSIENT_FAILURES = dg.RetryPolicy(
    max_retries=3,
    delay=5,  # seconds; waits about 5, 10 and 20 s (+/- jitter) before the retries
    backoff=dg.Backoff.EXPONENTIAL,
    jitter=dg.Jitter.PLUS_MINUS,
)
