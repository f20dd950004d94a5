"""Measuring a benchmarked command: wall time, and peak memory of its process tree and of the
PostgreSQL server it uses."""

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass
class Measured:
    returncode: int
    seconds: float
    peak_bytes: int
    server_peak_bytes: int
    output: str


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def _server_memory(data_dir: Path | None) -> int:
    """Memory of the PostgreSQL server on `data_dir` and its backends: the sum of their
    proportional set sizes (shared buffers counted once, not once per backend as RSS would)."""
    if data_dir is None:
        return 0
    try:
        postmaster = psutil.Process(int((data_dir / "postmaster.pid").read_text().split()[0]))
        members = [postmaster, *postmaster.children()]
    except (OSError, ValueError, psutil.NoSuchProcess):
        return 0
    total = 0
    for member in members:
        try:
            total += member.memory_full_info().pss
        except psutil.NoSuchProcess:
            pass
    return total


def measure(command, environment, log: Path, data_dir: Path | None, limit=None) -> Measured:
    """Run the command, sampling its process tree's memory every 0.2 s and the server's every
    second (reading a process's memory map costs CPU that the measured run would miss)."""
    peak, server_peak, samples = 0, 0, 0
    started = time.perf_counter()
    with open(log, "wb") as stream:
        process = psutil.Popen(command, env=environment, stdout=stream, stderr=subprocess.STDOUT,
                               preexec_fn=limit)  # fmt: skip
        while process.poll() is None:
            peak = max(peak, _tree_rss(process))
            if samples % 5 == 0:
                server_peak = max(server_peak, _server_memory(data_dir))
            samples += 1
            time.sleep(0.2)
    seconds = time.perf_counter() - started
    return Measured(process.returncode, seconds, peak, server_peak, log.read_text(errors="replace"))
