"""`simulate` in-process, as the plan page's live preview calls it: the demo plan (goal under
50 ms) and the région plan (goal under 1 s), the plan already read, then read and simulated."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from benchmarks.region_plan import region_plan
from domain.simulation import simulate
from domain.validation import load_plan

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo-plan.yaml"


def timed(action, repeat: int) -> list[float]:  # noqa: ANN001
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append((time.perf_counter() - started) * 1000)
    return runs


def main() -> None:
    load_plan(DEMO.read_text(encoding="utf-8"))  # imports and caches warmed once, as in a server
    for label, text, goal, repeat in (
        ("demo plan", DEMO.read_text(encoding="utf-8"), 50, 20),
        ("région plan (100 portfolios × 40 items)", region_plan(), 1000, 5),
    ):
        document = load_plan(text)
        simulation = simulate(document)
        alone = timed(lambda document=document: simulate(document), repeat)
        both = timed(lambda text=text: simulate(load_plan(text)), repeat)
        print(
            f"simulate, in process, {label}: {len(simulation.tasks)} tasks, "
            f"{len(simulation.notices)} notices; median {statistics.median(alone):.0f} ms "
            f"(goal {goal} ms), read and simulated {statistics.median(both):.0f} ms",
            flush=True,
        )


if __name__ == "__main__":
    main()
