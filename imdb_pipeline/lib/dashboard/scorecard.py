"""The data-quality scorecard: per table, its checks passed, warned and failed, on the page's day
and over the last runs that evaluated checks.

A check that failed with WARN severity counts as warned, one that failed with ERROR as failed.
"Today" is each check's latest evaluation made on the page's day (UTC); a check not evaluated
that day counts as not run. The history counts every evaluation of the last `runs` runs that
evaluated at least one check, whichever job ran them (the daily job or a re-validation).
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import pandas as pd

PASSED, WARNED, FAILED, NOT_RUN = "passed", "warned", "failed", "not run"
STATUSES = (PASSED, WARNED, FAILED)
DEFAULT_RUNS = 30
WARN = "WARN"


@dataclass(frozen=True)
class CheckOutcome:
    """One evaluation of one check, as the Dagster instance recorded it."""

    table: str
    check: str
    run_id: str
    at: dt.datetime
    passed: bool
    severity: str  # "ERROR" or "WARN"

    @property
    def status(self) -> str:
        if self.passed:
            return PASSED
        return WARNED if self.severity.upper() == WARN else FAILED


@dataclass(frozen=True)
class Scorecard:
    """`tables`: one row per table (columns `table`, `today_<status>`, `runs_<status>`);
    `failing_today`: the checks that warned or failed today (`table`, `check`, `status`);
    `trend`: one row per run, oldest first (`run_id`, `at`, `label`, a column per status)."""

    day: dt.date
    runs: int
    tables: pd.DataFrame
    failing_today: pd.DataFrame
    trend: pd.DataFrame


def _recent_runs(outcomes: Sequence[CheckOutcome], runs: int) -> list[str]:
    """The ids of the `runs` latest runs that evaluated checks, newest first."""
    started: dict[str, dt.datetime] = {}
    for outcome in outcomes:
        started[outcome.run_id] = min(outcome.at, started.get(outcome.run_id, outcome.at))
    return sorted(started, key=lambda run_id: started[run_id], reverse=True)[:runs]


def build_scorecard(
    checks: Sequence[tuple[str, str]],
    outcomes: Sequence[CheckOutcome],
    day: dt.date,
    runs: int = DEFAULT_RUNS,
) -> Scorecard:
    """The scorecard of the `checks` (table, check name) defined in the code location."""
    tables = sorted({table for table, _ in checks} | {outcome.table for outcome in outcomes})
    latest_today: dict[tuple[str, str], CheckOutcome] = {}
    for outcome in outcomes:
        if outcome.at.astimezone(dt.UTC).date() != day:
            continue
        key = (outcome.table, outcome.check)
        if key not in latest_today or outcome.at > latest_today[key].at:
            latest_today[key] = outcome
    recent = _recent_runs(outcomes, runs)
    recent_ids = set(recent)
    in_recent = [outcome for outcome in outcomes if outcome.run_id in recent_ids]

    rows = []
    for table in tables:
        today = [o.status for (t, _), o in latest_today.items() if t == table]
        defined = {name for t, name in checks if t == table}
        not_run = len(defined - {name for (t, name) in latest_today if t == table})
        history = [o.status for o in in_recent if o.table == table]
        row = {"table": table}
        row.update({f"today_{status}": today.count(status) for status in STATUSES})
        row["today_not_run"] = not_run
        row.update({f"runs_{status}": history.count(status) for status in STATUSES})
        rows.append(row)
    columns = ["table", *(f"today_{s}" for s in STATUSES), "today_not_run",
               *(f"runs_{s}" for s in STATUSES)]  # fmt: skip
    failing = sorted(
        ((o.table, o.check, o.status) for o in latest_today.values() if not o.passed),
        key=lambda row: (row[2] != FAILED, row[0], row[1]),
    )
    return Scorecard(
        day=day,
        runs=runs,
        tables=pd.DataFrame(rows, columns=columns),
        failing_today=pd.DataFrame(failing, columns=["table", "check", "status"]),
        trend=_trend(in_recent, recent),
    )


def _trend(outcomes: Sequence[CheckOutcome], recent: list[str]) -> pd.DataFrame:
    rows = []
    for run_id in reversed(recent):
        of_run = [outcome for outcome in outcomes if outcome.run_id == run_id]
        at = min(outcome.at for outcome in of_run)
        row = {"run_id": run_id, "at": at, "label": f"{at:%m-%d %H:%M} · {run_id[:8]}"}
        row.update({status: sum(o.status == status for o in of_run) for status in STATUSES})
        rows.append(row)
    return pd.DataFrame(rows, columns=["run_id", "at", "label", *STATUSES])


def _cell(value: int, status: str) -> str:
    kind = status.replace(" ", "-") if value else "zero"
    return f'<td class="num"><span class="badge {kind}">{value}</span></td>'


def scorecard_table_html(scorecard: Scorecard) -> str:
    """The per-table counts as an HTML table, with the checks that did not pass today below."""
    head = (
        "<thead><tr><th rowspan=\"2\">Table</th>"
        f"<th colspan=\"4\">Today ({scorecard.day.isoformat()})</th>"
        f"<th colspan=\"3\">Last {scorecard.runs} runs</th></tr><tr>"
        + "".join(f"<th>{escape(s)}</th>" for s in (*STATUSES, NOT_RUN, *STATUSES))
        + "</tr></thead>"
    )
    body = []
    for row in scorecard.tables.itertuples(index=False):
        cells = [_cell(getattr(row, f"today_{s}"), s) for s in STATUSES]
        cells.append(_cell(row.today_not_run, NOT_RUN))
        cells.extend(_cell(getattr(row, f"runs_{s}"), s) for s in STATUSES)
        body.append(f"<tr><th scope=\"row\">{escape(row.table)}</th>{''.join(cells)}</tr>")
    table = f'<table class="scorecard">{head}<tbody>{"".join(body)}</tbody></table>'
    evaluated = int(scorecard.tables[[f"today_{s}" for s in STATUSES]].to_numpy().sum())
    if not evaluated:
        return table + '<p class="none-today">No check has been evaluated today.</p>'
    if scorecard.failing_today.empty:
        return table + '<p class="all-clear">Every check evaluated today passed.</p>'
    items = "".join(
        f'<li><span class="badge {row.status}">{escape(row.status)}</span> '
        f"<code>{escape(row.table)}</code> {escape(row.check)}</li>"
        for row in scorecard.failing_today.itertuples(index=False)
    )
    return f'{table}<h3>Did not pass today</h3><ul class="failing">{items}</ul>'
