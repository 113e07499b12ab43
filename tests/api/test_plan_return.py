"""POST /plans/{portfolio}/{year}/return: the direction sends a submitted plan back with a
comment, once per request; who may, when, and what the answer and the schema say."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from activities.notify import NotificationConfig
from activities.registry import build_activities
from api.main import create_app
from services.settings import Settings
from services.tokens import create_token
from store.database import SessionFactory
from store.tables import Cycle
from tests.engine.support import RecordingMailer, engine_workers, store_with
from tests.plans import plan_with
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import ActivityName, CycleInput, PlanNotice, SendReport, cycle_workflow_id

ITEMS = """
    - {id: pub, kind: action, title: Publier le marché bio, assignees: [resto], due: "2027-02-15"}
"""
RETURN = "/plans/restauration/2027/return"
COMMENT = "Visez 25 % de bio.\nAjoutez une rencontre fournisseurs au printemps."


@asynccontextmanager
async def worker_telling(
    client: Client, sessions: SessionFactory, told: list[PlanNotice]
) -> AsyncIterator[str]:
    """A worker whose plan notices are recorded instead of sent; yields its queue."""

    @activity.defn(name=ActivityName.send_plan_notice)
    async def send_plan_notice(notice: PlanNotice) -> SendReport:
        told.append(notice)
        return SendReport(sent=len(notice.to))

    real = build_activities(sessions, RecordingMailer(), NotificationConfig())
    activities = [a for a in real if a.__name__ != "send_plan_notice"] + [send_plan_notice]
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with engine_workers(
            client,
            task_queue="boucle-test-plan-return",
            activities=activities,
            activity_executor=executor,
        ):
            yield "boucle-test-plan-return"


async def test_the_direction_sends_a_submitted_plan_back_through_the_api(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document = plan_with(ITEMS)
    sessions = store_with(document, tmp_path)
    with sessions() as session:
        tokens = {p: create_token(session, p) for p in ("qdd", "resto", "dgs")}
    told: list[PlanNotice] = []
    app = create_app(Settings(data_dir=tmp_path), temporal=env.client, sessions=sessions)

    def as_(person: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://boucle.test",
            headers={"Authorization": f"Bearer {tokens[person]}"},
        )

    async with (
        worker_telling(env.client, sessions, told) as queue,
        app.router.lifespan_context(app),
    ):
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
        async with as_("qdd") as officer, as_("resto") as buyer, as_("dgs") as direction:
            early = await direction.post(RETURN, json={"comment": COMMENT})
            assert early.status_code == 409
            assert early.json()["detail"] == (
                "le responsable Qualité & DD n'a pas encore soumis le plan"
            )
            assert (await officer.post("/plans/restauration/2027/submit")).status_code == 200

            assert (await buyer.post(RETURN, json={"comment": COMMENT})).status_code == 403
            assert (await officer.post(RETURN, json={"comment": COMMENT})).status_code == 403
            assert (await direction.post(RETURN, json={})).status_code == 422
            assert (await direction.post(RETURN, json={"comment": ""})).status_code == 422
            long = await direction.post(RETURN, json={"comment": "x" * 4001})
            assert long.status_code == 422
            blank = await direction.post(RETURN, json={"comment": "  \n "})
            assert blank.status_code == 422
            assert blank.json()["code"] == "refused"
            assert blank.json()["detail"] == (
                "dites ce que le responsable Qualité & DD doit revoir : un plan est renvoyé "
                "avec un commentaire"
            )
            english = await direction.post(
                RETURN, json={"comment": "\t"}, headers={"Accept-Language": "en"}
            )
            assert english.json()["detail"] == (
                "say what the officer should revise: a plan is sent back with a comment"
            )

            returned = await direction.post(RETURN, json={"comment": COMMENT})
            assert returned.status_code == 200, returned.text
            answer = returned.json()
            assert answer["submitted_at"] is None and answer["approved_at"] is None
            assert (answer["returned_by"], answer["return_comment"]) == ("dgs", COMMENT)
            assert answer["returned_at"] is not None
            retried = await direction.post(RETURN, json={"comment": COMMENT})
            assert retried.json() == answer  # a retry sends nothing back twice
            again = await direction.post(
                RETURN, json={"comment": COMMENT}, headers={"Idempotency-Key": "a-second-one"}
            )
            assert again.status_code == 409  # a new request: the plan is a draft now
            assert again.json()["detail"] == (
                "le responsable Qualité & DD n'a pas encore soumis le plan"
            )

            # The officer submits again (her client gives this new request a key of its own).
            resubmitted = await officer.post(
                "/plans/restauration/2027/submit", headers={"Idempotency-Key": "resubmit"}
            )
            assert resubmitted.status_code == 200 and resubmitted.json()["submitted_at"]
            approved = await direction.post("/plans/restauration/2027/approve")
            assert approved.status_code == 200
            assert approved.json()["return_comment"] == COMMENT  # what was asked stays readable
            # Once executing (the cycle continues as new at approval), it says why not.
            for _ in range(200):
                with sessions() as session:
                    row = session.get(Cycle, "restauration/2027")
                if row is not None and row.phase == "executing":
                    break
                await asyncio.sleep(0.05)
            late = await direction.post(
                RETURN, json={"comment": COMMENT}, headers={"Idempotency-Key": "after"}
            )
            assert late.status_code == 409
            assert late.json()["detail"] == "le plan n'attend pas d'approbation"
            missing = await direction.post("/plans/inconnu/2027/return", json={"comment": COMMENT})
            assert missing.status_code == 404
    assert [n.message for n in told].count("plan_returned") == 1
    returned_notice = next(n for n in told if n.message == "plan_returned")
    assert returned_notice.to == ("qdd",) and returned_notice.facts["comment"] == COMMENT


def test_the_return_is_in_the_schema_like_approve(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path), sessions=store_with(plan_with(""), tmp_path))
    schema = app.openapi()
    operation = schema["paths"]["/plans/{portfolio}/{year}/return"]["post"]
    assert operation["tags"] == ["plans"]
    assert {"200", "401", "403", "404", "409", "422", "503"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][body.rsplit("/", 1)[-1]]
    assert fields["required"] == ["comment"]
    assert fields["properties"]["comment"]["maxLength"] == 4000
    status = schema["components"]["schemas"]["CycleStatus"]["properties"]
    assert {"returned_at", "returned_by", "return_comment"} <= set(status)
