"""A year run through the API alone: the officer imports and submits, the direction approves,
the buyer finds and completes their task, the officer amends; all on a real dev server."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from boucle.temporal import build_worker, mailer_for
from domain.validation import load_plan
from services.tokens import create_token
from store.database import SessionFactory, make_engine, migrate
from store.plans import save_organisation
from tests.integration.conftest import Inbox, free_port
from tests.integration.test_dev_server import settings_for, soon_plan

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_officer_direction_and_buyer_run_a_plan_through_the_api(
    dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    port = free_port()  # a mailbox of its own: the session's inbox belongs to other tests
    mailbox = Controller(Inbox(), hostname="127.0.0.1", port=port)
    mailbox.start()
    settings = settings_for(dev_server, tmp_path, port, "it-api")
    engine = make_engine(settings.database)
    migrate(engine)
    sessions = SessionFactory(engine)
    text = soon_plan(datetime.now(UTC), "achats-api")

    with sessions() as session:
        save_organisation(session, load_plan(text))  # the people who will hold tokens
        session.commit()
        tokens = {person: create_token(session, person) for person in ("qdd", "dgs", "resto")}
    year = datetime.now(UTC).year
    app = create_app(settings, sessions=sessions, temporal=dev_server.client)

    def as_(person: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {tokens[person]}"},
            timeout=30,
        )

    with ThreadPoolExecutor(8) as executor:
        async with (
            build_worker(dev_server.client, settings, sessions, mailer_for(settings), executor),
            app.router.lifespan_context(app),
        ):
            async with as_("qdd") as officer:
                imported = await officer.post(
                    "/plans", content=text.encode(), headers={"Content-Type": "application/yaml"}
                )
                assert imported.status_code == 201, imported.text
                assert imported.json() == [
                    {
                        "portfolio": "achats-api",
                        "year": year,
                        "version": 1,
                        "new_version": True,
                        "cycle_started": True,
                        "cycle_revised": False,
                    }
                ]
                submitted = await officer.post(f"/plans/achats-api/{year}/submit")
                assert submitted.status_code == 200, submitted.text
                too_early = await officer.post(f"/plans/achats-api/{year}/approve")
                assert too_early.status_code == 403  # approving is the direction's
            async with as_("dgs") as direction:
                approved = await direction.post(f"/plans/achats-api/{year}/approve")
                assert approved.status_code == 200, approved.text
                assert approved.json()["approved_by"] == "dgs"
                # A retry (the same request again) is answered as the first was, changing nothing;
                # a new request (its own Idempotency-Key) is refused: the plan is approved.
                retried = await direction.post(f"/plans/achats-api/{year}/approve")
                assert retried.status_code == 200 and retried.json() == approved.json()
                again = await direction.post(
                    f"/plans/achats-api/{year}/approve", headers={"Idempotency-Key": "second"}
                )
                assert again.status_code == 409
            async with as_("resto") as buyer:

                async def my_tasks() -> list[dict]:  # type: ignore[type-arg]
                    answer = await buyer.get("/me/tasks", params={"year": year})
                    assert answer.status_code == 200
                    return answer.json()  # type: ignore[no-any-return]

                tasks: list[dict] = []  # type: ignore[type-arg]
                for _ in range(60):
                    tasks = await my_tasks()
                    if len(tasks) == 2:
                        break
                    await asyncio.sleep(0.5)  # the cycle starts its tasks, then projects them
                assert {task["item"] for task in tasks} == {"veille", "formation"}
                veille = next(task for task in tasks if task["item"] == "veille")
                done = await buyer.post(
                    f"/tasks/{veille['id']}/complete",
                    json={"comment": "revue faite", "evidence_url": "https://intranet/veille"},
                )
                assert done.status_code == 200, done.text
                assert done.json()["status"] == "done" and done.json()["done_by"] == "resto"
                still_open = await buyer.get("/me/tasks", params={"year": year, "status": "open"})
                assert [t["item"] for t in still_open.json()] == ["formation"]  # not a stale list
            async with as_("qdd") as officer:
                amended = await officer.post(
                    f"/plans/achats-api/{year}/amend",
                    json={"cancel_items": ["formation"], "reason": "salle indisponible"},
                )
                assert amended.status_code == 200, amended.text
                # The cycle amends its plan, skips the task already done, and runs on.
                versions = await officer.get("/plans", params={"portfolio": "achats-api"})
                assert [(v["version"], v["status"]) for v in versions.json()] == [
                    (1, "superseded"),
                    (2, "approved"),
                ]
                cycle = dev_server.client.get_workflow_handle(f"cycle:achats-api:{year}")
                assert (await cycle.describe()).status == WorkflowExecutionStatus.RUNNING
                after = await officer.get(f"/cycles/achats-api/{year}")
                assert {t["item"]: t["status"] for t in after.json()["tasks"]} == {
                    "veille": "done",
                    "formation": "cancelled",
                }
                trail = await officer.get("/audit", params={"who": "dgs"})
                assert [(e["action"], e["status"]) for e in trail.json()] == [
                    ("approve_plan", 200),
                    ("approve_plan", 200),
                    ("approve_plan", 409),
                ]
    mailbox.stop()
