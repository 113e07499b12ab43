"""Every plan the repository holds or its tests build: the examples, the région plan and the
item lists tests hand to tests.plans (found in their source, so new tests join in)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from benchmarks.region_plan import region_plan
from domain.errors import PlanInvalid
from domain.model import PlanFile
from domain.validation import load_plan
from tests.plans import plan_text

ROOT = Path(__file__).resolve().parents[2]
BUILDERS = {"plan_with", "plan_text"}


def _item_lists(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The literal item lists (with literal options) passed to plan_with or plan_text."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in BUILDERS):
            continue
        if not node.args:
            continue
        argument = node.args[0]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            items = argument.value
        elif isinstance(argument, ast.Name) and argument.id in constants:
            items = constants[argument.id]
        else:
            continue
        options = {
            keyword.arg: keyword.value.value
            for keyword in node.keywords
            if keyword.arg and isinstance(keyword.value, ast.Constant)
        }
        yield items, options


def every_plan() -> dict[str, PlanFile]:
    """Each valid plan by a name that says where it comes from."""
    plans: dict[str, PlanFile] = {}
    for example in sorted((ROOT / "examples").glob("*.y*ml")):
        plans[f"examples/{example.name}"] = load_plan(example.read_text(encoding="utf-8"))
    plans["benchmarks/region_plan.py"] = load_plan(region_plan())
    for source in sorted((ROOT / "tests").rglob("test_*.py")):
        for number, (items, options) in enumerate(_item_lists(source)):
            try:
                plan = load_plan(plan_text(items, **options))
            except (PlanInvalid, TypeError, KeyError, ValueError):
                continue  # a test of errors: the error tests below cover workbooks' own
            plans[f"{source.relative_to(ROOT)}#{number}"] = plan
    for locale in ("fr", "en"):
        for on_holiday in ("next_working_day", "previous_working_day", "keep"):
            items = "- {id: a, kind: action, title: A, assignees: [resto], due: '2027-05-01'}"
            plans[f"tests/plans.py {locale} {on_holiday}"] = load_plan(
                plan_text(items, locale=locale, holidays="FR-57", on_holiday=on_holiday)
            )
    return plans
