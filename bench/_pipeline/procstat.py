"""CPU time and peak memory of another process, read from /proc (Linux), so no extra dependency is needed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class ProcessSample:
    """One reading of a process: CPU seconds used so far, current and peak resident memory."""

    cpu_seconds: float
    rss_mb: float
    peak_rss_mb: float


def sample_process(pid: int) -> ProcessSample:
    """User+system CPU from /proc/PID/stat; VmRSS and VmHWM (the kernel's peak RSS) from /proc/PID/status."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    memory: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            memory[key] = int(value.split()[0]) / 1024
    return ProcessSample(cpu, memory.get("VmRSS", 0.0), memory.get("VmHWM", 0.0))


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat, to show contention."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS
