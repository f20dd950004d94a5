"""What a failed, killed or blocked run changed, told as it is: the tables and days it
committed, those it left as they were, and those it may have changed.

Each table (or day of a daily table) is written atomically and records a materialization
once committed. A step that failed has committed exactly the tables it recorded. A step whose
process ended without a word (killed, out of memory) may have committed a table in the moment
before it could record it: its tables without a record are "possibly changed", never "kept".
A run a failed blocking check stopped succeeds, but the tables after the check keep their
previous content: it is told as blocked, naming the checks.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RunChanges:
    run_id: str
    # (table, day or None) committed by the run, in the order the run recorded them
    committed: list[tuple[str, str | None]]
    # tables the run was to write, by step
    planned: dict[str, list[str]]
    failed_steps: list[str] = field(default_factory=list)
    unfinished_steps: list[str] = field(default_factory=list)  # started, never ended
    blocked_by: list[str] = field(default_factory=list)  # failed blocking checks, "asset/check"

    @property
    def possibly_changed(self) -> list[str]:
        written = {table for table, _ in self.committed}
        return [table for step in self.unfinished_steps for table in self.planned.get(step, [])
                if table not in written]  # fmt: skip

    @property
    def unchanged(self) -> list[str]:
        written = {table for table, _ in self.committed} | set(self.possibly_changed)
        return [table for tables in self.planned.values() for table in tables
                if table not in written]  # fmt: skip


def summary(changes: RunChanges) -> str:
    """The lines a person reads after the run, naming every table the run was to write."""
    if changes.blocked_by and not (changes.failed_steps or changes.unfinished_steps):
        lines = [f"The run {changes.run_id} was blocked: " + _blocked(changes)]
    else:
        lines = [f"The run {changes.run_id} did not finish: " + _why(changes)]
        if changes.blocked_by:
            lines.append("It was also blocked: " + _blocked(changes))
    if changes.committed:
        lines.append("Committed by this run:")
        lines += [f"  {table}" + (f"  (day {day})" if day else "") for table, day in changes.committed]
    else:
        lines.append("It committed no table.")
    if changes.possibly_changed:
        lines.append("Possibly committed just before the process ended (each one whole, or not "
                     "at all):")  # fmt: skip
        lines += [f"  {table}" for table in changes.possibly_changed]
    if changes.unchanged:
        lines.append("Unchanged, as before the run: " + ", ".join(changes.unchanged))
    return "\n".join(lines)


def _blocked(changes: RunChanges) -> str:
    checks = ", ".join(changes.blocked_by)
    noun = "checks" if len(changes.blocked_by) > 1 else "check"
    return f"the blocking {noun} {checks} failed; the tables after it were not rebuilt."


def _why(changes: RunChanges) -> str:
    if changes.failed_steps:
        return f"step {', '.join(changes.failed_steps)} failed."
    if changes.unfinished_steps:
        return (f"its process ended during step {', '.join(changes.unfinished_steps)} "
                "(killed, or out of memory).")  # fmt: skip
    return "it stopped before its first step."
