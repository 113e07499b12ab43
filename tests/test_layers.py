"""Dependencies point inward: each package imports only the rooms its layer may touch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"domain", "workflows", "activities", "notifications", "store", "services", "api", "boucle"}
FORBIDDEN = {
    "domain": OURS - {"domain"},
    "services": {"api", "boucle"},
    "api": {"boucle"},
    "store": {"api", "boucle", "services", "workflows", "activities"},
    "notifications": {"api", "boucle", "services", "store", "activities"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_package_imports_outward(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {file: names for file, names in wrong.items() if names} == {}


def test_serving_the_api_does_not_load_the_worker() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, api.main; print(' '.join(sorted(sys.modules)))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    worker = {"boucle", "activities.registry", "notifications.smtp", "temporalio.worker"}
    assert sorted(name for name in loaded if name in worker or name.startswith("boucle.")) == []
