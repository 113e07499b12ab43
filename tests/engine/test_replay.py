"""Saved histories of real runs replay on today's workflow code.

A change that would alter the commands a running year already issued fails here: put it
behind workflow.patched(...). Record new fixtures with BOUCLE_RECORD_HISTORIES=1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.converter import DATA_CONVERTER
from workflows.registry import SANDBOXED_RUNNER, WORKFLOWS

HISTORIES = sorted((Path(__file__).resolve().parent.parent / "histories").glob("*.json"))


def test_there_are_fixtures_for_every_workflow_that_runs_a_year() -> None:
    names = {path.name for path in HISTORIES}
    assert {
        "cycle-on-time-1.json",
        "cycle-missed-4.json",
        "task-action-missed-1.json",
        "task-rescheduled-done-1.json",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: path.stem)
async def test_history_replays(path: Path) -> None:
    workflow_id = path.stem
    history = WorkflowHistory.from_json(workflow_id, path.read_text())
    replayer = Replayer(
        workflows=WORKFLOWS,
        workflow_runner=SANDBOXED_RUNNER,
        data_converter=DATA_CONVERTER,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
