"""What the officer runs the year with on the cycle's page: the postponements to decide, the
values not entered, overdue work by person; and what the page says when the engine is down."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from domain.validation import load_plan
from services.plans import approve_plan, import_plans, submit_plan
from services.settings import Settings
from store.tables import Cycle, IndicatorValue, Notification, Task
from tests.api.test_api import client
from tests.api.test_cycle_pages_running import CYCLE, arrived, body
from tests.api.test_plan_pages import SECRET, hidden, signed_in
from tests.engine.support import RecordingMailer, running_worker, store_with
from tests.plans import plan_text, plan_with

PUB = "restauration/2027/pub/2027-02-15"


async def test_the_officer_accepts_a_postponement_from_the_cycle_page_s_queue(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document = plan_with(
        "- {id: pub, kind: action, title: Publier le marché bio, assignees: [resto], "
        'due: "2027-02-15"}'
    )
    sessions = store_with(plan_with(""), tmp_path)
    mailer = RecordingMailer()
    async with running_worker(env.client, sessions, mailer) as queue:
        await import_plans(
            document, sessions, env.client, queue, by="qdd", with_search_attributes=False
        )
        await submit_plan(env.client, "restauration", 2027, "qdd")
        await approve_plan(env.client, "restauration", 2027, "dgs")
        app = create_app(
            Settings(data_dir=tmp_path, secret_key=SECRET, task_queue=queue), sessions=sessions
        )
        async with app.router.lifespan_context(app), client(app) as browser:
            app.state.temporal = env.client
            for _ in range(200):
                with sessions() as session:
                    if session.get(Task, PUB) is not None:
                        break
                await asyncio.sleep(0.05)
            signed_in(browser, sessions, "qdd")
            empty = await browser.get(CYCLE)
            assert "Aucune demande de report n&#39;attend." in empty.text

            signed_in(browser, sessions, "resto")
            task_page = await browser.get(f"/app/tasks/{PUB}")
            asked = await browser.post(
                f"/app/tasks/{PUB}/postpone",
                data={
                    "csrf": hidden(task_page, "csrf"),
                    "nonce": hidden(task_page, "nonce"),
                    "due": "2027-02-22",
                    "reason": "Le fournisseur envoie ses prix le 19",
                },
            )
            assert asked.status_code == 303, asked.text
            assert "Demandes de report" not in (await browser.get(CYCLE)).text

            signed_in(browser, sessions, "qdd")
            queue_page = await browser.get(CYCLE)
            text = queue_page.text
            assert '<a href="/app/tasks/restauration/2027/pub/2027-02-15">Publier' in text
            assert "<dt>Demandé par</dt><dd>Paul Durand</dd>" in text
            assert "<dd>lundi 15 février 2027 à 17 h</dd>" in text  # due now
            assert "<dd>lundi 22 février 2027 à 17 h</dd>" in text  # wished
            assert "<dd>Le fournisseur envoie ses prix le 19</dd>" in text
            assert f'action="/app/tasks/{PUB}/decision"' in text
            decided = await browser.post(
                f"/app/tasks/{PUB}/decision",
                data={
                    "csrf": hidden(queue_page, "csrf"),
                    "nonce": hidden(queue_page, "nonce") + "-1",
                    "approve": "yes",
                    "reason": "D'accord, merci de prévenir la plateforme",
                },
            )
            assert decided.headers["location"] == f"/app/tasks/{PUB}?done=decision"
            moved_to = None
            for _ in range(100):
                with sessions() as session:
                    moved_to = session.exec(select(Task.due_at).where(Task.id == PUB)).one()
                if moved_to == datetime(2027, 2, 22, 16, tzinfo=UTC):
                    break
                await asyncio.sleep(0.05)
            assert moved_to == datetime(2027, 2, 22, 16, tzinfo=UTC)  # 17:00 in Paris
            after = await browser.get(CYCLE)
            assert "Aucune demande de report n&#39;attend." in after.text
        approved = await arrived(
            mailer,
            "Paul's answer",
            lambda m: "paul.durand" in str(m["To"]) and "accept" in (str(m["Subject"]).lower()),
        )
    assert "D'accord, merci de prévenir la plateforme" in body(approved[0])


# The year 2026 (December 2026 as these tests were written: every date below has passed).
PAST_ITEMS = """
    - {id: point, kind: indicator_checkpoint, title: Point d'étape, assignees: [resto],
       start: "2026-09-30T17:00", indicators: [part-bio]}
    - {id: pub, kind: action, title: Publier le marché bio, assignees: [resto, nett],
       due: "2026-10-15"}
    - {id: bilan, kind: action, title: Bilan fournisseurs, assignees: [nett], due: "2026-11-02"}
"""


def past_year(tmp_path: Path):  # noqa: ANN201
    """A store holding the 2026 cycle as its workflow left it: a missed checkpoint, two
    overdue actions, and a postponement Paul asked for."""
    text = plan_text(PAST_ITEMS).replace("year: 2027", "year: 2026")
    computed = (  # measured from DECP contracts: never typed in, never "missing"
        "indicators:\n  - {id: marches-verts, name: Marchés verts, unit: percent,"
        " computed: decp.environmental, scope: organisation}\n"
    )
    document = load_plan(text.replace("indicators:\n", computed, 1))
    sessions = store_with(document, tmp_path)
    rows = [
        ("point", "indicator_checkpoint", "Point d'étape", "2026-09-30T15:00", ["resto"], "missed"),
        ("pub", "action", "Publier le marché bio", "2026-10-15T15:00", ["resto", "nett"], "open"),
        ("bilan", "action", "Bilan fournisseurs", "2026-11-02T16:00", ["nett"], "open"),
    ]
    with sessions() as session:
        session.add(
            Cycle(
                id="restauration/2026",
                portfolio="restauration",
                year=2026,
                phase="executing",
                workflow_id="cycle:restauration:2026",
                plan_version=1,
            )
        )
        for item, kind, title, due, people, status in rows:
            at = datetime.fromisoformat(due).replace(tzinfo=UTC)
            session.add(
                Task(
                    id=f"restauration/2026/{item}/{due[:10]}",
                    cycle_id="restauration/2026",
                    portfolio="restauration",
                    year=2026,
                    item=item,
                    kind=kind,
                    title=title,
                    due_at=at,
                    original_at=at,
                    assignees=people,
                    indicators=["part-bio"] if kind == "indicator_checkpoint" else [],
                    status=status,
                )
            )
        session.add(
            Notification(
                key="restauration/2026/pub/2026-10-15|reschedule_requested|0|x",
                type="reschedule_requested",
                task_id="restauration/2026/pub/2026-10-15",
                cycle_id="restauration/2026",
                person_id="qdd",
                email="claire.martin@example.org",
                message_id="<x@boucle>",
                status="sent",
            )
        )
        session.commit()
    return sessions


async def test_the_officer_sees_who_has_not_entered_values_and_who_is_late(
    tmp_path: Path,
) -> None:
    sessions = past_year(tmp_path)
    settings = Settings(data_dir=tmp_path, secret_key=SECRET, temporal_address="127.0.0.1:9")
    app = create_app(settings, sessions=sessions)
    async with app.router.lifespan_context(app), client(app) as browser:
        signed_in(browser, sessions, "qdd")
        page = await browser.get("/app/cycles/restauration/2026")
        assert page.status_code == 200
        text = page.text
        missing = text[text.index('id="missing"') : text.index('id="late"')]
        assert 'Point d&#39;étape</a> <span class="muted">(close sans avoir été faite)' in missing
        assert '<td data-label="Qui">Paul Durand</td>' in missing
        assert '<td data-label="Indicateurs sans valeur">Part bio</td>' in missing
        assert "Indicateurs sans aucune valeur pour 2026 : Part bio." in missing
        late = text[text.index('id="late"') :]
        # Nadia has two overdue actions, Paul one: the busiest first.
        assert late.index("Nadia Benali <span") < late.index("Paul Durand <span")
        assert 'Nadia Benali <span class="muted">(2)</span>' in late
        assert 'Paul Durand <span class="muted">(1)</span>' in late
        assert "jeudi 15 octobre 2026, " in late and " j de retard" in late
        # The engine is down: the queue says it cannot be read, an amendment gets a 503 page.
        assert "Les demandes de report ne peuvent pas être lues" in text
        amended = await browser.post(
            "/app/cycles/restauration/2026/amend",
            data={
                "csrf": hidden(page, "csrf"),
                "task": "restauration/2026/bilan/2026-11-02",
                "action": "cancel_task",
                "reason": "Fait lors de la réunion d'octobre",
            },
        )
        assert amended.status_code == 503
        assert "Le moteur de Boucle ne répond pas" in amended.text
        assert 'href="/app/cycles/restauration/2026">← Retour à l&#39;année' in amended.text

        with sessions() as session:
            session.add(
                IndicatorValue(
                    indicator_id="part-bio",
                    portfolio_id="restauration",
                    period="restauration/2026/point/2026-09-30",
                    task_id="restauration/2026/point/2026-09-30",
                    value=17.5,
                )
            )
            session.commit()
        entered = await browser.get("/app/cycles/restauration/2026")
        assert "Aucune valeur attendue ne manque." in entered.text

        signed_in(browser, sessions, "dgs")
        direction = await browser.get("/app/cycles/restauration/2026")
        assert direction.status_code == 200
        assert 'id="late"' not in direction.text and "Modifier" not in direction.text
        refused = await browser.get(
            "/app/cycles/restauration/2026/amend",
            params={"task": "restauration/2026/bilan/2026-11-02"},
        )
        assert refused.status_code == 403
    with sessions() as session:
        statuses = {t.item: t.status for t in session.exec(select(Task))}
    assert statuses == {"point": "missed", "pub": "open", "bilan": "open"}  # nothing changed
