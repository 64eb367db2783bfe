"""How the service process runs: the event loop it uses and how its garbage collector is tuned.

A gateway holds hundreds of thousands of long-lived objects (imports, 1000 desktop connections); full
collections over all of them stall the loop for hundreds of milliseconds, which shows as screen-pop
latency (bench/event_pipeline.py). Freezing what exists after start-up and collecting the young
generation less often keeps those pauses rare and short.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any

YOUNG_GENERATION_THRESHOLD = 50_000


def run_service(main: Coroutine[Any, Any, None]) -> None:
    """Run the service's main coroutine on uvloop when it is installed, else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def settle_heap() -> None:
    """Call once start-up is done: move every object alive now out of the collector's way."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
