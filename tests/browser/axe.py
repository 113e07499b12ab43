"""axe-core, the accessibility engine, fetched once from npm into a cache folder (no browser).

A copy vendored as tests/browser/axe.min.js is used first when present; otherwise npm
installs the pinned version under the user's cache. Without either, the checks are skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

AXE_VERSION = "4.14.1"
VENDORED = Path(__file__).with_name("axe.min.js")
SERIOUS = ("serious", "critical")


def axe_script() -> Path | str:
    """The path of axe.min.js, or the reason it cannot be had."""
    if VENDORED.exists():
        return VENDORED
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = cache / "boucle" / f"axe-core-{AXE_VERSION}"
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed and tests/browser/axe.min.js is not vendored"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(folder),
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        output = getattr(error, "stderr", b"") or b""
        return f"npm could not install axe-core@{AXE_VERSION}: {output.decode()[-300:]}"
    return script if script.exists() else f"npm installed no {script}"


def serious_violations(page: Any, script: Path) -> list[str]:
    """What axe finds serious or critical on the page, one line per rule and element."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(script))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(v => ({id: v.id, impact: v.impact, help: v.help,
                         nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                                   summary: n.failureSummary}))}))"""
    )
    return [
        f"{v['impact']} {v['id']} ({v['help']}): {node['target']} — "
        + " ".join(str(node["summary"]).split())
        for v in found
        if v["impact"] in SERIOUS
        for node in v["nodes"]
    ]
