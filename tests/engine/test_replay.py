"""Saved histories of real runs replay on today's workflow code.

Each folder of `tests/histories/` holds the runs recorded by one commit's code (its short
hash). A change that would alter the commands a running year already issued fails here: put
it behind workflow.patched(...). Record new fixtures with BOUCLE_RECORD_HISTORIES=1; they go
to `tests/histories/current/`, to be renamed after the commit that recorded them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.converter import DATA_CONVERTER
from workflows.registry import SANDBOXED_RUNNER, WORKFLOWS

ROOT = Path(__file__).resolve().parent.parent / "histories"
HISTORIES = sorted(ROOT.glob("*/*.json"))


def test_there_are_fixtures_for_every_workflow_that_runs_a_year() -> None:
    by_commit: dict[str, set[str]] = {}
    for path in HISTORIES:
        by_commit.setdefault(path.parent.name, set()).add(path.name)
    # The first recorded engine, the send path of 2026-11-27, and the engine of 2026-12 (its
    # 2026-11 year upgraded among them).
    assert len(by_commit) >= 3
    for names in by_commit.values():
        assert {
            "cycle-on-time-1.json",
            "cycle-missed-4.json",
            "task-action-missed-1.json",
            "task-rescheduled-done-1.json",
        } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: f"{path.parent.name}/{path.stem}")
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(
        workflows=WORKFLOWS,
        workflow_runner=SANDBOXED_RUNNER,
        data_converter=DATA_CONVERTER,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
