"""Run the gateway CLI with a garbage-collector probe: every collection's generation and pause go to a file.

Used by `event_pipeline.py --gc-log FILE` to tell collector pauses from other event-loop stalls; the
gateway itself is unchanged (this only adds a `gc.callbacks` entry before `cti_gateway.cli` runs).
"""

from __future__ import annotations

import gc
import os
import runpy
import signal
import sys
import time
from collections import Counter
from typing import Any

_log = open(os.environ["EVENT_PIPELINE_GC_LOG"], "w", buffering=1)  # noqa: SIM115 - lives as long as the process
_started: list[float] = [0.0]


def _on_collect(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        pause_ms = (time.perf_counter() - _started[0]) * 1000.0
        _log.write(
            f"{time.time():.6f} gen={info['generation']} ms={pause_ms:.3f} collected={info['collected']}\n"
        )


def _census(signum: int, frame: object) -> None:
    """On SIGUSR2: how many objects the collector tracks, by type (the 25 most common)."""
    counts = Counter(type(obj).__qualname__ for obj in gc.get_objects())
    _log.write(
        f"{time.time():.6f} census tracked={sum(counts.values())} "
        + " ".join(f"{name}={count}" for name, count in counts.most_common(25))
        + "\n"
    )


def _freeze(signum: int, frame: object) -> None:
    """On SIGUSR1 (an experiment, `--gc-freeze`): move every object alive now out of the collector's reach."""
    gc.collect()
    gc.freeze()
    _log.write(f"{time.time():.6f} frozen={gc.get_freeze_count()}\n")


gc.callbacks.append(_on_collect)
signal.signal(signal.SIGUSR2, _census)
signal.signal(signal.SIGUSR1, _freeze)
sys.argv = ["cti-gateway", *sys.argv[1:]]
runpy.run_module("cti_gateway.cli", run_name="__main__", alter_sys=True)
