"""`boucle plan return PORTFOLIO YEAR --by PERSON --comment TEXT`: the direction sends the
submitted plan back from the command line; a refusal exits 1 in French; both are audited."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from activities.calendar import cycle_holidays
from boucle.cli import app as cli
from services.plans import submit_plan
from store.tables import AuditEntry
from tests.api.test_plan_return import ITEMS, worker_telling
from tests.engine.support import store_with
from tests.plans import plan_with
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import CycleInput, PlanNotice, cycle_workflow_id

COMMENT = "Ajoutez une action sur les circuits courts."


async def test_the_direction_sends_the_plan_back_from_the_command_line(
    env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = plan_with(ITEMS)
    sessions = store_with(document, tmp_path)
    monkeypatch.setenv("BOUCLE_DATABASE_URL", str(sessions.engine.url))
    monkeypatch.setenv("BOUCLE_TEMPORAL_ADDRESS", env.client.service_client.config.target_host)
    told: list[PlanNotice] = []
    runner = CliRunner()

    def plan_return(*options: str):  # noqa: ANN202
        command = ["plan", "return", "restauration", "2027", *options]
        return asyncio.to_thread(runner.invoke, cli, command)  # a loop of its own

    async with worker_telling(env.client, sessions, told) as queue:
        await env.client.start_workflow(
            PortfolioCycleWorkflow.run,
            CycleInput(
                portfolio="restauration",
                year=2027,
                document=document,
                plan_version=1,
                holidays=cycle_holidays(document.organisation, 2027),
                search_attributes=False,
            ),
            id=cycle_workflow_id("restauration", 2027),
            task_queue=queue,
        )
        await submit_plan(env.client, "restauration", 2027, "qdd")
        by_a_buyer = await plan_return("--by", "resto", "--comment", COMMENT)
        assert by_a_buyer.exit_code == 1
        assert by_a_buyer.stderr == (
            "refusé : seule la direction renvoie un plan au responsable Qualité & DD\n"
        )
        empty = await plan_return("--by", "dgs", "--comment", "   ")
        assert empty.exit_code == 1 and "un plan est renvoyé avec un commentaire" in empty.stderr
        sent_back = await plan_return("--by", "dgs", "--comment", COMMENT)
        assert sent_back.exit_code == 0, sent_back.output
        assert sent_back.stdout == (
            "restauration/2027 : renvoyé au responsable Qualité & DD par dgs\n"
        )
        view = await env.client.get_workflow_handle(cycle_workflow_id("restauration", 2027)).query(
            PortfolioCycleWorkflow.view
        )
        assert (view.submitted_at, view.returned_by, view.return_comment) == (None, "dgs", COMMENT)
        twice = await plan_return("--as", "dgs", "--comment", COMMENT)
        assert twice.exit_code == 1
        assert "n'a pas encore soumis le plan" in twice.stderr
    with sessions() as session:
        rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.sequence))).all()
    assert [(r.origin, r.person_id, r.action, r.target, r.status) for r in rows] == [
        ("cli", "resto", "plan_return", "restauration/2027", 1),
        ("cli", "dgs", "plan_return", "restauration/2027", 1),
        ("cli", "dgs", "plan_return", "restauration/2027", 0),
        ("cli", "dgs", "plan_return", "restauration/2027", 1),
    ]
