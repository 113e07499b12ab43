"""The API as the direction and the buyers use it: cycles from the store, task completion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from activities.store import StoreActivities
from api.main import create_app
from domain.tasks import plan_tasks
from services.settings import Settings
from services.tokens import create_token
from store.database import SessionFactory
from store.tables import Task
from tests.engine.support import RecordingMailer, running_cycle, running_worker, store_with
from tests.plans import plan_with
from workflows.task import TaskWorkflow
from workflows.types import TaskInput, TaskRow, task_workflow_id

ITEMS = """
    - {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15"}
    - {id: veille, kind: regulatory_watch_review, title: Veille, assignees: [nett],
       start: "2027-01-04T09:30", rrule: "FREQ=MONTHLY;COUNT=3"}
"""


def seeded(tmp_path: Path) -> tuple[SessionFactory, dict[str, str]]:
    document = plan_with(ITEMS)
    sessions = store_with(document, tmp_path)
    now = datetime.now(UTC)
    with sessions() as session:
        session.add(running_cycle())
        for number, (status, days) in enumerate(
            [("done", -20), ("open", -3), ("open", 5), ("cancelled", 9)]
        ):
            due = now + timedelta(days=days)
            session.add(
                Task(
                    id=f"restauration/2027/t{number}/{due.date()}",
                    cycle_id="restauration/2027",
                    portfolio="restauration",
                    year=2027,
                    item=f"t{number}",
                    kind="action",
                    title=f"T{number}",
                    due_at=due,
                    original_at=due,
                    assignees=["resto"],
                    status=status,
                )
            )
        session.commit()
        tokens = {person: create_token(session, person) for person in ("resto", "nett", "dgs")}
    return sessions, tokens


def stored_pub_task(tmp_path: Path, title: str = "Publier"):  # noqa: ANN201
    """The plan, a store holding it, and its `pub` task projected as the cycle would."""
    document = plan_with(ITEMS)
    sessions = store_with(document, tmp_path)
    (task,) = [t for t in plan_tasks(document, document.plans[0]) if t.item == "pub"]
    StoreActivities(sessions).project_tasks(
        [TaskRow(task=task.model_copy(update={"title": title}), cycle_id="restauration/2027")]
    )
    return document, sessions, task


async def start_task(env: WorkflowEnvironment, document, task, queue: str):  # noqa: ANN001
    """The workflow of one task, as the cycle would start it."""
    return await env.client.start_workflow(
        TaskWorkflow.run,
        TaskInput(
            task=task,
            organisation=document.organisation,
            holidays=cycle_holidays(document.organisation, 2027),
            officers=document.officers,
            assignable=("resto", "nett", "qdd"),
            execution_start=await env.get_current_time(),
            closes_at=task.due + timedelta(days=30),
        ),
        id=task_workflow_id(task.id),
        task_queue=queue,
    )


def client(app, token: str | None = None) -> httpx.AsyncClient:  # noqa: ANN001
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers
    )


async def test_cycles_list_counts_progress_and_overdue_work(tmp_path: Path) -> None:
    sessions, tokens = seeded(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app), client(app, tokens["dgs"]) as http:
        response = await http.get("/cycles", params={"year": 2027})
        assert response.status_code == 200
        (cycle,) = response.json()
        assert (cycle["phase"], cycle["portfolio_name"]) == ("executing", "Restauration")
        assert (
            cycle["tasks_total"],
            cycle["tasks_done"],
            cycle["tasks_open"],
            cycle["tasks_overdue"],
            cycle["tasks_cancelled"],
        ) == (4, 1, 2, 1, 1)
        assert datetime.fromisoformat(cycle["next_due"]) > datetime.now(UTC)
        assert (await http.get("/cycles", params={"year": 2031})).json() == []
        detail = (await http.get("/cycles/restauration/2027")).json()
        assert [task["overdue"] for task in detail["tasks"]] == [False, True, False, False]


async def test_errors_are_problem_details(tmp_path: Path) -> None:
    sessions, tokens = seeded(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app):
        async with client(app) as anonymous:
            response = await anonymous.get("/cycles")
            assert response.status_code == 401
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["title"] == "Authentification requise"  # French by default
            assert response.json()["code"] == "token_required"
            english = await anonymous.get("/cycles", headers={"Accept-Language": "en-GB,fr;q=0.5"})
            assert english.json()["title"] == "Unauthorized"
            assert english.json()["detail"] == "a bearer token is required"
        async with client(app, "bcl_not-a-token") as stranger:
            assert (await stranger.get("/cycles")).status_code == 401
        async with client(app, tokens["dgs"]) as http:
            missing = await http.get("/cycles/voirie/2027")
            assert missing.status_code == 404 and "voirie" in missing.json()["detail"]
            assert missing.json()["detail"].startswith("aucun cycle pour le portefeuille")
            bad = await http.get("/cycles", params={"year": "deux-mille"})
            assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "year"]


async def test_health_says_which_part_is_down(tmp_path: Path) -> None:
    sessions, _ = seeded(tmp_path)
    closed = Settings(data_dir=tmp_path, temporal_address="127.0.0.1:9")  # nothing listens
    app = create_app(closed, sessions=sessions)
    async with app.router.lifespan_context(app), client(app) as http:
        response = await http.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": True, "temporal": False}


async def test_completing_a_task_goes_through_its_workflow(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document, sessions, task = stored_pub_task(tmp_path, title="Publier")
    with sessions() as session:
        tokens = {person: create_token(session, person) for person in ("resto", "nett")}
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions, temporal=env.client)
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        await start_task(env, document, task, queue)
        async with app.router.lifespan_context(app):
            async with client(app, tokens["nett"]) as other_buyer:
                refused = await other_buyer.post(f"/tasks/{task.id}/complete", json={})
                assert refused.status_code == 403
                assert refused.json()["code"] == "not_your_task"
            async with client(app, tokens["resto"]) as buyer:
                bad = await buyer.post(
                    f"/tasks/{task.id}/complete", json={"evidence_url": "pas une adresse"}
                )
                assert bad.status_code == 422
                done = await buyer.post(
                    f"/tasks/{task.id}/complete",
                    json={"comment": "publié", "evidence_url": "https://example.org/avis/42"},
                )
                assert done.status_code == 200, done.text
                body = done.json()
                assert (body["status"], body["done_by"], body["comment"]) == (
                    "done",
                    "resto",
                    "publié",
                )
                again = await buyer.post(f"/tasks/{task.id}/complete", json={})
                assert again.status_code == 409


async def test_a_one_click_link_completes_its_task_once(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    from notifications.links import LinkClaim, sign_link

    document, sessions, task = stored_pub_task(tmp_path, title="Publier <vite>")
    settings = Settings(data_dir=tmp_path, secret_key="s3cret")
    now = datetime.now(UTC)
    token = sign_link("s3cret", LinkClaim("complete", task.id, "resto", now + timedelta(days=3)))
    expired = sign_link("s3cret", LinkClaim("complete", task.id, "resto", now - timedelta(1)))
    forged = sign_link("autre", LinkClaim("complete", task.id, "resto", now + timedelta(1)))
    payload, signature = token.split(".")
    tampered = (
        sign_link("s3cret", LinkClaim("complete", task.id, "nett", now + timedelta(1))).split(".")[
            0
        ]
        + "."
        + signature
    )
    app = create_app(settings, sessions=sessions, temporal=env.client)
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        handle = await start_task(env, document, task, queue)
        async with app.router.lifespan_context(app), client(app) as browser:
            shown = await browser.get(f"/act/{token}")
            assert shown.status_code == 200 and "Publier &lt;vite&gt;" in shown.text
            assert '<form method="post"' in shown.text
            assert (await handle.query(TaskWorkflow.view)).status == "open"  # GET did nothing
            for bad in (expired, forged, tampered, "n'importe-quoi"):
                assert (await browser.post(f"/act/{bad}")).status_code == 400
            done = await browser.post(f"/act/{token}")
            assert done.status_code == 200 and "C&#39;est noté" in done.text
            view = await handle.query(TaskWorkflow.view)
            assert (view.status, view.done_by) == ("done", "resto")
            assert (await browser.post(f"/act/{token}")).status_code == 409
            clicked_again = await browser.get(f"/act/{token}")  # an old email: a page that says so
            assert clicked_again.status_code == 200 and "déjà servi" in clicked_again.text


async def test_failed_deliveries_are_visible_and_buyers_see_only_their_own(tmp_path: Path) -> None:
    from store.tables import Notification

    sessions, tokens = seeded(tmp_path)
    with sessions() as session:
        for person, status, error in [
            ("resto", "sent", None),
            ("nett", "failed", "550 mailbox unavailable"),
        ]:
            session.add(
                Notification(
                    key=f"k|{person}",
                    type="reminder",
                    person_id=person,
                    email=f"{person}@example.org",
                    message_id=f"<{person}@b>",
                    status=status,
                    attempts=1,
                    last_error=error,
                    subject="Rappel : Publier",
                )
            )
        session.commit()
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app):
        async with client(app, tokens["dgs"]) as direction:
            failed = (await direction.get("/notifications", params={"status": "failed"})).json()
            assert [(n["person_id"], n["last_error"]) for n in failed] == [
                ("nett", "550 mailbox unavailable")
            ]
            assert (
                await direction.get("/notifications", params={"status": "lost"})
            ).status_code == 422
        async with client(app, tokens["resto"]) as buyer:
            mine = (await buyer.get("/notifications")).json()
            assert [n["person_id"] for n in mine] == ["resto"]


def test_an_organisation_can_override_a_template(tmp_path: Path) -> None:
    from notifications.messages import MessageType
    from notifications.render import render
    from notifications.samples import sample_context

    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "reminder.txt").write_text(
        "{% set subject %}[Achats] {{ task.title }}{% endset %}"
        '{% extends "fr/base.txt" %}{% block body %}À faire : {{ task.title }}{% endblock %}'
    )
    rendered = render(
        MessageType.reminder,
        "fr",
        sample_context(MessageType.reminder, "fr"),
        override=str(tmp_path),
    )
    assert rendered.subject.startswith("[Achats] Publier le marché bio")
    assert "À faire : Publier" in rendered.text
    assert "Bonjour Paul Durand" in rendered.text  # the base layout still comes from Boucle


async def test_a_buyer_asks_to_postpone_and_the_officer_decides(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    from notifications.links import LinkClaim, sign_link

    document, sessions, task = stored_pub_task(tmp_path, title="Publier")
    with sessions() as session:
        tokens = {p: create_token(session, p) for p in ("resto", "qdd")}
    app = create_app(
        Settings(data_dir=tmp_path, secret_key="k"), sessions=sessions, temporal=env.client
    )
    mailer = RecordingMailer()
    link = sign_link(
        "k", LinkClaim("postpone", task.id, "resto", datetime.now(UTC) + timedelta(days=3))
    )
    async with running_worker(env.client, sessions, mailer) as queue:
        handle = await start_task(env, document, task, queue)
        async with app.router.lifespan_context(app):
            async with client(app) as browser:
                shown = await browser.get(f"/act/{link}")
                # Due Monday 15 February 17:00: a week later is Monday 22 February.
                assert "Demander le report au lundi 22 février 2027 à 17 h" in shown.text
                assert (await browser.post(f"/act/{link}")).status_code == 200
            proposal = (await handle.query(TaskWorkflow.view)).proposal
            assert proposal is not None and proposal.due.isoformat() == "2027-02-22T17:00:00+01:00"
            async with client(app, tokens["resto"]) as buyer:
                twice = await buyer.post(
                    f"/tasks/{task.id}/reschedule-request",
                    json={"due": "2027-03-01T17:00:00+01:00"},
                )
                assert twice.status_code == 409  # one request at a time
                self_approval = await buyer.post(
                    f"/tasks/{task.id}/reschedule-decision", json={"approve": True}
                )
                assert self_approval.status_code == 403
            async with client(app, tokens["qdd"]) as officer:
                decided = await officer.post(
                    f"/tasks/{task.id}/reschedule-decision",
                    json={"approve": True, "reason": "accordé"},
                )
                assert decided.status_code == 200, decided.text
                assert decided.json()["due"].startswith("2027-02-22T16:00:00")
            async with client(app, tokens["resto"]) as buyer:
                holiday = await buyer.post(
                    f"/tasks/{task.id}/reschedule-request",
                    json={"due": "2027-04-05T17:00:00+02:00"},
                )
                assert holiday.status_code == 200  # Monday 5 April 2027 is a working day
                easter = await buyer.post(
                    f"/tasks/{task.id}/reschedule-request",
                    json={"due": "2027-03-29T17:00:00+02:00"},
                )
                assert easter.status_code == 409  # a request is already waiting
    subjects = [m["Subject"] for m in mailer.sent]
    assert "Demande de report : Publier" in subjects  # to the officer
    assert "Report accepté : Publier" in subjects  # to the buyer


async def test_a_buyer_sees_only_their_own_tasks_in_a_cycle(tmp_path: Path) -> None:
    from store.tables import TaskPerson

    sessions, tokens = seeded(tmp_path)
    with sessions() as session:
        mine = session.exec(select(Task).where(Task.item == "t1")).one()
        session.add(TaskPerson(task_id=mine.id, person_id="nett", relation="assignee"))
        session.commit()
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app):
        async with client(app, tokens["nett"]) as buyer:
            detail = (await buyer.get("/cycles/restauration/2027")).json()
            assert [task["item"] for task in detail["tasks"]] == ["t1"]
            assert detail["tasks_total"] == 4  # progress stays visible
        async with client(app, tokens["dgs"]) as direction:
            detail = (await direction.get("/cycles/restauration/2027")).json()
            assert len(detail["tasks"]) == 4


async def test_a_cycle_timeline_lists_what_was_sent_then_what_is_planned(tmp_path: Path) -> None:
    from domain.calendar import WorkingCalendar
    from domain.timeline import task_timeline
    from store.tables import Notification

    document, sessions, task = stored_pub_task(tmp_path)
    calendar = WorkingCalendar.of(document.organisation)
    notices = task_timeline(task, calendar, document.officers, datetime(2027, 1, 1, tzinfo=UTC))
    first = notices[0]
    with sessions() as session:
        session.add(running_cycle())
        session.add(
            Notification(
                key=f"{first.key}|resto",
                type=first.type.value,
                task_id=task.id,
                cycle_id="restauration/2027",
                person_id="resto",
                email="paul.durand@example.org",
                subject="Rappel : Publier",
                message_id="<x@boucle.test>",
                scheduled_at=first.at,
                status="sent",
                sent_at=first.at,
            )
        )
        session.commit()
        tokens = {p: create_token(session, p) for p in ("qdd", "nett")}
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app):
        async with client(app, tokens["qdd"]) as officer:
            timeline = (await officer.get("/cycles/restauration/2027/timeline")).json()
            card = (await officer.get("/cycles/restauration/2027/scorecard")).json()
        async with client(app, tokens["nett"]) as other_buyer:
            theirs = (await other_buyer.get("/cycles/restauration/2027/timeline")).json()
    assert datetime.fromisoformat(timeline[0].pop("at")) == first.at
    assert timeline[0] == {
        "type": "reminder",
        "task": task.id,
        "to": ["resto"],
        "state": "sent",
    }
    planned = [(entry["type"], datetime.fromisoformat(entry["at"])) for entry in timeline[1:]]
    assert planned == [(n.type.value, n.at) for n in notices[1:]]
    assert all(entry["state"] == "planned" for entry in timeline[1:])
    assert theirs == []  # nothing was or will be addressed to them
    assert card["tasks"]["total"] == 1 and card["indicators"][0]["indicator"] == "part-bio"
    assert card["indicators"][0]["status"] == "no_data"


async def test_an_event_invited_to_is_not_listed_as_planned_to_be_invited_again(
    tmp_path: Path,
) -> None:
    from store.tables import Notification

    document = plan_with(
        """
    - {id: rencontre, kind: supplier_meeting, title: Rencontre, assignees: [resto],
       start: "2027-03-10T14:00", duration: PT2H}
"""
    )
    sessions = store_with(document, tmp_path)
    (task,) = plan_tasks(document, document.plans[0])
    StoreActivities(sessions).project_tasks([TaskRow(task=task, cycle_id="restauration/2027")])
    invited_at = datetime(2027, 1, 4, 8, tzinfo=UTC)
    with sessions() as session:
        session.add(running_cycle())
        session.add(
            Notification(
                key=f"{task.id}|invitation|{invited_at.isoformat()}|resto",
                type="invitation",
                task_id=task.id,
                cycle_id="restauration/2027",
                person_id="resto",
                email="paul.durand@example.org",
                subject="Invitation : Rencontre",
                message_id="<i@boucle.test>",
                scheduled_at=invited_at,
                status="sent",
                sent_at=invited_at,
            )
        )
        session.commit()
        token = create_token(session, "qdd")
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app), client(app, token) as officer:
        timeline = (await officer.get("/cycles/restauration/2027/timeline")).json()
    invitations = [
        (entry["state"], entry["at"]) for entry in timeline if entry["type"] == "invitation"
    ]
    assert invitations == [("sent", "2027-01-04T08:00:00Z")]


async def test_a_checkpoint_link_opens_a_values_form_that_completes_it(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    from notifications.links import LinkClaim, sign_link
    from store.tables import IndicatorValue

    document = plan_with(
        """
        - {id: point, kind: indicator_checkpoint, title: Point d'étape, assignees: [resto],
           start: "2027-03-31T17:00", indicators: [part-bio]}
        """
    )
    sessions = store_with(document, tmp_path)
    (task,) = plan_tasks(document, document.plans[0])
    StoreActivities(sessions).project_tasks([TaskRow(task=task, cycle_id="restauration/2027")])
    expires = datetime.now(UTC) + timedelta(days=3)
    token = sign_link("s3cret", LinkClaim("values", task.id, "resto", expires))
    app = create_app(
        Settings(data_dir=tmp_path, secret_key="s3cret"), sessions=sessions, temporal=env.client
    )
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        handle = await start_task(env, document, task, queue)
        async with app.router.lifespan_context(app), client(app) as browser:
            form = await browser.get(f"/act/{token}")
            assert form.status_code == 200 and "Part bio (%)" in form.text
            assert 'name="value-part-bio"' in form.text
            typo = await browser.post(f"/act/{token}", data={"value-part-bio": "dix-sept"})
            assert typo.status_code == 422 and "pas un nombre" in typo.text
            saved = await browser.post(
                f"/act/{token}", data={"value-part-bio": "17,5", "comment": "relevé de mars"}
            )
            assert saved.status_code == 200, saved.text  # the typo did not use the link up
            assert (
                await browser.post(f"/act/{token}", data={"value-part-bio": "18"})
            ).status_code == 409
        view = await handle.query(TaskWorkflow.view)
    assert (view.status, view.values) == ("done", {"part-bio": 17.5})
    with sessions() as session:
        stored = session.exec(select(IndicatorValue)).one()
    assert (stored.value, stored.author_id, stored.comment) == (17.5, "resto", "relevé de mars")
