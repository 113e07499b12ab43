"""`make bench`: time and peak memory of Boucle's commands on a région-sized plan."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.region_plan import region_plan

BOUCLE = [sys.executable, "-m", "boucle.cli"]


def run_child(args: list[str]) -> tuple[float, float, bytes]:
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: redirect stdout to a file and exec
        out = os.open(os.devnull, os.O_WRONLY)
        os.dup2(out, 1)
        os.execv(args[0], args)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} exited with {os.waitstatus_to_exitcode(status)}")
    return elapsed, usage.ru_maxrss / 1024, b""


def bench(args: list[str], repeat: int = 3) -> tuple[float, float]:
    runs = [run_child(args) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        plan = Path(folder) / "region.yaml"
        plan.write_text(region_plan(), encoding="utf-8")
        size = plan.stat().st_size / 1024
        print(f"région-sized plan: 100 portfolios × 40 items, {size:.0f} KiB of YAML")
        rows = [
            ("boucle plan check", [*BOUCLE, "plan", "check", str(plan)]),
            ("boucle simulate --format json", [*BOUCLE, "simulate", str(plan), "--format", "json"]),
            (
                "boucle simulate --format json --assume missed",
                [*BOUCLE, "simulate", str(plan), "--format", "json", "--assume", "missed"],
            ),
        ]
        print(f"{'command':<48} {'best of 3':>10} {'peak RSS':>10}")
        for label, args in rows:
            seconds, megabytes = bench(args)
            print(f"{label:<48} {seconds:>9.2f}s {megabytes:>8.0f}MB")


if __name__ == "__main__":
    main()
