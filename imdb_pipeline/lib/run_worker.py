"""Whether a run's worker process is still alive, judged from facts about it.

Pure: no Dagster, no psutil. `run_launcher.LocalRunLauncher` gathers the facts and Dagster's run
monitoring acts on the verdict: a dead worker's run is marked failed, which fires the run-failure
alerts.

A run worker is a local process of the code server that launched it, so its pid means something
only on the host that launched it: a run launched elsewhere (another host, a container since
replaced by one with another hostname) is never judged here. A pid can be reused once its process
has ended; a process created after the run had started cannot be its worker.
"""

from dataclasses import dataclass
from typing import Literal

# psutil derives a process's start time from the boot time, which Linux gives in whole seconds.
CLOCK_TOLERANCE_SECONDS = 2.0

Verdict = Literal["alive", "dead", "not_judged"]


@dataclass(frozen=True)
class WorkerFacts:
    """What is known about a run's worker.

    `launch_host`: the host that launched the run (None when not launched by LocalRunLauncher);
    `local_code_server`: the code server that started the worker ran on that host;
    `this_host`: the host judging; `pid` and `started_at`: the process that started the run and
    when (its RUN_START event); `process_created_at`: when the process now holding that pid was
    created, None when no live process holds it (a zombie counts as none).
    """

    launch_host: str | None
    local_code_server: bool
    this_host: str
    pid: int | None
    started_at: float | None
    process_created_at: float | None


@dataclass(frozen=True)
class Health:
    verdict: Verdict
    reason: str


def worker_health(facts: WorkerFacts) -> Health:
    if facts.launch_host is None:
        return Health("not_judged", "the run was not launched by LocalRunLauncher")
    if not facts.local_code_server:
        return Health("not_judged", "the run worker was started by a code server on another host")
    if facts.launch_host != facts.this_host:
        return Health(
            "not_judged",
            f"the run was launched on host {facts.launch_host}, not on this host "
            f"({facts.this_host})",
        )
    if facts.pid is None or facts.started_at is None:
        return Health("not_judged", "the run worker has not reported its start yet")
    where = f"run worker process {facts.pid} on {facts.launch_host}"
    if facts.process_created_at is None:
        return Health("dead", f"The {where} is gone: it died or was killed.")
    if facts.process_created_at > facts.started_at + CLOCK_TOLERANCE_SECONDS:
        return Health(
            "dead",
            f"The {where} is gone: it died or was killed, and its pid now belongs to a process "
            "started after the run.",
        )
    return Health("alive", f"The {where} is alive.")
