"""How a worker process runs: its event loop and its garbage collector."""

from __future__ import annotations

import asyncio
import gc

from boucle.temporal import run_event_loop


def test_run_event_loop_runs_the_work_with_start_up_objects_frozen() -> None:
    seen: dict[str, object] = {}

    async def work() -> None:
        await asyncio.sleep(0)
        seen["frozen"] = gc.get_freeze_count()

    gc.unfreeze()  # an app started by an earlier test may have frozen objects already
    try:
        run_event_loop(work())
    finally:
        gc.unfreeze()  # the rest of the test session keeps Python's usual collector
    frozen = seen["frozen"]
    assert isinstance(frozen, int) and frozen > 10_000
