"""What a run that did not finish changed, told as it is."""

from imdb_pipeline.lib.run_changes import RunChanges, summary

PLANNED = {
    "stage_movies": ["staging.stg_movies", "staging.stg_movies_rejects"],
    "build_dimensions": ["core.dim_actors", "core.dim_movies", "core.dim_genres"],
    "build_analytics": ["analytics.agg_top_movies"],
}
STAGED = [("staging.stg_movies", "2024-06-01"), ("staging.stg_movies_rejects", "2024-06-01")]


def test_a_failed_step_committed_exactly_what_it_recorded():
    changes = RunChanges("run1", [*STAGED, ("core.dim_actors", None)], PLANNED,
                         failed_steps=["build_dimensions"])  # fmt: skip
    assert changes.possibly_changed == []
    assert changes.unchanged == ["core.dim_movies", "core.dim_genres", "analytics.agg_top_movies"]
    assert summary(changes) == "\n".join([
        "The run run1 did not finish: step build_dimensions failed.",
        "Committed by this run:",
        "  staging.stg_movies  (day 2024-06-01)",
        "  staging.stg_movies_rejects  (day 2024-06-01)",
        "  core.dim_actors",
        "Unchanged, as before the run: core.dim_movies, core.dim_genres, analytics.agg_top_movies",
    ])  # fmt: skip


def test_a_step_whose_process_ended_may_have_committed_its_unrecorded_tables():
    changes = RunChanges("run2", [*STAGED, ("core.dim_actors", None)], PLANNED,
                         unfinished_steps=["build_dimensions"])  # fmt: skip
    assert changes.possibly_changed == ["core.dim_movies", "core.dim_genres"]
    assert changes.unchanged == ["analytics.agg_top_movies"]
    text = summary(changes)
    assert "its process ended during step build_dimensions (killed, or out of memory)" in text
    assert "Possibly committed just before the process ended" in text
    assert "keeps" not in text and "previous tables" not in text


def test_a_run_that_committed_nothing_says_so():
    text = summary(RunChanges("run3", [], PLANNED, failed_steps=["stage_movies"]))
    assert "It committed no table." in text
    assert "Unchanged, as before the run: staging.stg_movies," in text


def test_a_blocked_run_names_its_checks_and_the_tables_it_kept():
    changes = RunChanges("run4", STAGED, PLANNED,
                         blocked_by=["staging/stg_movies/reject_rate_below_ceiling"])  # fmt: skip
    assert summary(changes).splitlines() == [
        ("The run run4 was blocked: the blocking check "
         "staging/stg_movies/reject_rate_below_ceiling failed; the tables after it were not "
         "rebuilt."),
        "Committed by this run:",
        "  staging.stg_movies  (day 2024-06-01)",
        "  staging.stg_movies_rejects  (day 2024-06-01)",
        ("Unchanged, as before the run: core.dim_actors, core.dim_movies, core.dim_genres, "
         "analytics.agg_top_movies"),
    ]  # fmt: skip


def test_a_failed_run_also_names_the_checks_that_blocked_it():
    text = summary(RunChanges("run5", STAGED, PLANNED, failed_steps=["build_analytics"],
                              blocked_by=["core/dim_movies/keys_are_unique"]))  # fmt: skip
    assert text.startswith("The run run5 did not finish: step build_analytics failed.\n"
                           "It was also blocked: the blocking check "
                           "core/dim_movies/keys_are_unique")
