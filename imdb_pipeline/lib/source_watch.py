"""The source sensor's decisions, with Airflow FileSensor / S3KeySensor semantics.

Each poke lists the files matching the watched URI. A file version (size and ETag or mtime) is
run once it has been seen unchanged on two consecutive pokes, so a file still being written
is never picked up. Its run key names the file and its version, so a restarted sensor never runs
it twice. If no file has started a run for the day by the deadline (the scheduled time plus the
timeout), the day times out once: a warning with `soft_fail`, an error otherwise.

IMDb's datasets are watched as one folder: it is ready when all five files are, and its
version is made of theirs, so a new version of any file is a new version of the day.

The state lives in the sensor's JSON cursor.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from imdb_pipeline.lib.locations import FileVersion

KEPT_KEYS = 500
KEPT_DAYS = 31


@dataclass(frozen=True)
class RunDecision:
    run_key: str
    source_uri: str
    day: str


@dataclass
class PokeResult:
    runs: list[RunDecision] = field(default_factory=list)
    skip_reason: str | None = None
    timed_out: bool = False
    cursor: str = "{}"


def run_key(uri: str, version: FileVersion) -> str:
    return f"{uri}@{version.tag}:{version.size}"


def complete_folders(
    files: dict[str, FileVersion], names: Iterable[str]
) -> dict[str, FileVersion]:
    """The folders (URI without the trailing file name) among `files` that hold every one of
    `names`, each with one version: the total size, and a tag hashed from the files' versions."""
    wanted = set(names)
    folders: dict[str, dict[str, FileVersion]] = {}
    for uri, version in files.items():
        folder, _, name = uri.rpartition("/")
        if name in wanted:
            folders.setdefault(folder, {})[name] = version
    complete = {}
    for folder, found in folders.items():
        if set(found) == wanted:
            tag = "|".join(f"{name}:{found[name].tag}:{found[name].size}" for name in sorted(found))
            complete[folder] = FileVersion(size=sum(v.size for v in found.values()),
                                           tag=hashlib.sha256(tag.encode()).hexdigest()[:32])  # fmt: skip
    return complete


def poke(
    cursor: str | None,
    pattern: str,
    observed: dict[str, FileVersion],
    day: str,
    now: dt.datetime,
    deadline: dt.datetime,
) -> PokeResult:
    state = json.loads(cursor) if cursor else {}
    pending: dict[str, list] = state.get("pending", {})
    processed: list[str] = state.get("processed", [])
    served: list[str] = state.get("served_days", [])
    timeouts: list[str] = state.get("timed_out_days", [])

    result = PokeResult()
    still_changing: dict[str, list] = {}
    for uri, version in sorted(observed.items()):
        key = run_key(uri, version)
        if key in processed:
            continue
        if pending.get(uri) == [version.size, version.tag]:
            result.runs.append(RunDecision(run_key=key, source_uri=uri, day=day))
            processed.append(key)
            if day not in served:
                served.append(day)
        else:
            still_changing[uri] = [version.size, version.tag]

    if not result.runs:
        if still_changing:
            waiting = ", ".join(f"{uri} ({size} bytes)" for uri, (size, _) in still_changing.items())
            result.skip_reason = f"Waiting for a second poke with the same size and version: {waiting}"
        elif day not in served and now >= deadline and day not in timeouts:
            result.timed_out = True
            timeouts.append(day)
            result.skip_reason = (
                f"Timed out: no new file at {pattern} started a run for {day} by "
                f"{deadline.isoformat()}"
            )
        else:
            result.skip_reason = f"No new file at {pattern}"

    result.cursor = json.dumps(
        {
            "pending": still_changing,
            "processed": processed[-KEPT_KEYS:],
            "served_days": served[-KEPT_DAYS:],
            "timed_out_days": timeouts[-KEPT_DAYS:],
        },
        sort_keys=True,
    )
    return result


def deadline(day: dt.date, scheduled_hour: int, timezone: dt.tzinfo, timeout_seconds: int) -> dt.datetime:
    """When a day's file is late: the scheduled time that day plus the timeout (Airflow's
    `timeout` counts from the sensor's start, which is the schedule)."""
    start = dt.datetime.combine(day, dt.time(hour=scheduled_hour), tzinfo=timezone)
    return start + dt.timedelta(seconds=timeout_seconds)
