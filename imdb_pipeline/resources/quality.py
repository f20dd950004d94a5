"""Thresholds of the soft data-quality rules, tunable per deployment or per run."""

import dagster as dg

from imdb_pipeline.checks import gx_project
from imdb_pipeline.checks.suites import QualityThresholds


class QualityResource(dg.ConfigurableResource):
    """Limits the data-quality checks apply; defaults suit the IMDb export."""

    metascore_completeness: float = QualityThresholds.metascore_completeness
    """Least share of movies with a known metascore (WARN below)."""
    gross_completeness: float = QualityThresholds.gross_completeness
    """Least share of movies with a known US gross (WARN below)."""
    reject_rate_ceiling: float = QualityThresholds.reject_rate_ceiling
    """Largest share of a day's rows that may be rejected (ERROR above)."""
    top_movies_size: int = QualityThresholds.top_movies_size
    """Most rows agg_top_movies may hold."""
    raw_min_rows: int = 1
    """Fewest data rows a raw export may have (ERROR below)."""
    raw_max_rows: int = 50_000_000
    """Most data rows a raw export may have (ERROR above)."""
    anomaly_history_runs: int = 5
    """How many previous materializations an anomaly check compares with."""
    anomaly_tolerance: float = 0.3
    """Largest relative distance from the recent median before a value is an anomaly (WARN)."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # The first step that may run a check starts importing Great Expectations (seconds of
        # work) on a thread, so it overlaps the loading steps that come before the check steps.
        gx_project.import_in_background()

    def thresholds(self) -> QualityThresholds:
        return QualityThresholds(
            metascore_completeness=self.metascore_completeness,
            gross_completeness=self.gross_completeness,
            reject_rate_ceiling=self.reject_rate_ceiling,
            top_movies_size=self.top_movies_size,
        )
