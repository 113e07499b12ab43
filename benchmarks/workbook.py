"""`python -m benchmarks.workbook`: the région plan exported to and imported from XLSX and ODS."""

from __future__ import annotations

import time

from benchmarks.region_plan import region_plan
from domain.validation import load_plan
from services.plan_files import read_plan_bytes, write_plan_workbook

GOAL_SECONDS = 5.0


def main(repeat: int = 3) -> None:
    plan = load_plan(region_plan())
    items = sum(len(year_plan.items) for year_plan in plan.plans)
    print(
        f"région plan: {len(plan.portfolios)} portfolios, {items} items, {len(plan.people)} people"
    )
    for fmt in ("xlsx", "ods"):
        exports, imports = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            data = write_plan_workbook(plan, fmt)
            exports.append(time.perf_counter() - started)
            started = time.perf_counter()
            again = read_plan_bytes(f"region.{fmt}", data)
            imports.append(time.perf_counter() - started)
            if again != plan:
                raise SystemExit(f"{fmt}: the workbook did not read back as the same plan")
        for action, seconds in (("export", min(exports)), ("import", min(imports))):
            verdict = "ok" if seconds < GOAL_SECONDS else f"over the {GOAL_SECONDS:.0f} s goal"
            print(f"  {fmt} {action}: {seconds:.2f} s ({len(data) / 1024:.0f} KiB) {verdict}")


if __name__ == "__main__":
    main()
