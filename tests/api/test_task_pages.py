"""A task's page as its buyer and the officer use it: done with a PDF, a postponement decided."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from temporalio.testing import WorkflowEnvironment

from activities.notify import NotificationConfig
from activities.store import StoreActivities
from api.main import create_app
from domain.tasks import plan_tasks
from services.settings import Settings
from services.tokens import open_person_session
from store.database import SessionFactory
from store.tables import Evidence, Person, Task
from tests.api.test_api import ITEMS, client, start_task, stored_pub_task
from tests.engine.support import RecordingMailer, running_cycle, running_worker, store_with
from tests.plans import plan_with
from workflows.types import TaskRow

SECRET = "s3cret-s3cret-s3cret-s3cret-s3cret-42"
TASK_ID = "restauration/2027/pub/2027-02-15"
TASK_PAGE = f"/app/tasks/{TASK_ID}"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PARIS = ZoneInfo("Europe/Paris")


def signed_in(browser: httpx.AsyncClient, sessions: SessionFactory, person: str) -> None:
    with sessions() as session:
        secret, _ = open_person_session(session, person)
    browser.cookies.set("boucle_session", secret)


def hidden(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page.text)
    assert found, f"no {name} in the page"
    return found.group(1)


async def stored(sessions: SessionFactory, wanted: str) -> Task:
    for _ in range(100):
        with sessions() as session:
            task = session.get(Task, TASK_ID)
            if task is not None and (task.status == wanted or wanted == "any"):
                return task
        await asyncio.sleep(0.05)
    raise AssertionError(f"task never {wanted}")


async def test_a_buyer_marks_a_task_done_with_a_comment_and_a_pdf(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document, sessions, task = stored_pub_task(tmp_path)
    mailer = RecordingMailer()
    async with running_worker(env.client, sessions, mailer, NotificationConfig()) as queue:
        await start_task(env, document, task, queue)
        app = create_app(
            Settings(data_dir=tmp_path, secret_key=SECRET, task_queue=queue), sessions=sessions
        )
        async with app.router.lifespan_context(app), client(app) as browser:
            app.state.temporal = env.client
            signed_in(browser, sessions, "resto")
            mine = await browser.get("/app/tasks")
            assert mine.status_code == 200
            coming = mine.text.split('id="group-coming"')[1].split("</section>")[0]
            assert f'href="{TASK_PAGE}">Publier</a>' in coming
            assert "lundi 15 février 2027" in coming

            page = await browser.get(TASK_PAGE)
            assert page.status_code == 200
            assert "lundi 15 février 2027" in page.text and "Paul Durand" in page.text
            forged = await browser.post(
                f"{TASK_PAGE}/done", data={"csrf": "0" * 64, "nonce": "n1", "comment": "x"}
            )
            assert forged.status_code == 303 and "error=form_expired" in forged.headers["location"]
            assert (await stored(sessions, "any")).status == "open"

            done = await browser.post(
                f"{TASK_PAGE}/done",
                data={
                    "csrf": hidden(page, "csrf"),
                    "nonce": hidden(page, "nonce"),
                    "comment": "Publié au BOAMP le 10 février",
                },
                files={"files": ("avis-boamp.pdf", PDF, "application/pdf")},
            )
            assert done.status_code == 303, done.text
            assert done.headers["location"] == f"{TASK_PAGE}?done=done"
            after = await browser.get(done.headers["location"])
            assert "la tâche est faite, ses rappels s&#39;arrêtent" in after.text
            assert "Publié au BOAMP le 10 février" in after.text
            assert "avis-boamp.pdf" in after.text
            evidence = re.search(r'href="(/app/tasks/[^"]+/evidence/[0-9a-f]{64})"', after.text)
            assert evidence
            download = await browser.get(evidence.group(1))
            assert download.status_code == 200 and download.content == PDF

            signed_in(browser, sessions, "nett")  # another buyer: not theirs
            assert (await browser.get(TASK_PAGE)).status_code == 403
            assert (await browser.get(evidence.group(1))).status_code == 403
    row = await stored(sessions, "done")
    assert (row.done_by, row.comment) == ("resto", "Publié au BOAMP le 10 février")
    assert row.evidence_url and row.evidence_url.endswith(evidence.group(1))
    with sessions() as session:
        assert session.get(Evidence, (evidence.group(1).rsplit("/", 1)[1], TASK_ID)) is not None


async def test_a_postponement_asked_on_the_page_is_accepted_by_the_officer(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document, sessions, task = stored_pub_task(tmp_path)
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        await start_task(env, document, task, queue)
        app = create_app(
            Settings(data_dir=tmp_path, secret_key=SECRET, task_queue=queue), sessions=sessions
        )
        async with app.router.lifespan_context(app), client(app) as browser:
            app.state.temporal = env.client
            signed_in(browser, sessions, "resto")
            page = await browser.get(TASK_PAGE)
            asked = await browser.post(
                f"{TASK_PAGE}/postpone",
                data={
                    "csrf": hidden(page, "csrf"),
                    "nonce": hidden(page, "nonce"),
                    "due": "2027-03-01",
                    "reason": "Attente de l'avis du service juridique",
                },
            )
            assert asked.headers["location"] == f"{TASK_PAGE}?done=postpone"
            shown = await browser.get(asked.headers["location"])
            assert "Demande de report envoyée" in shown.text
            assert "lundi 1er mars 2027" in shown.text  # the request, waiting

            signed_in(browser, sessions, "qdd")
            officer = await browser.get(TASK_PAGE)
            assert "Accepter le report" in officer.text
            assert "Attente de l&#39;avis du service juridique" in officer.text
            decided = await browser.post(
                f"{TASK_PAGE}/decision",
                data={
                    "csrf": hidden(officer, "csrf"),
                    "nonce": hidden(officer, "nonce"),
                    "approve": "yes",
                    "reason": "",
                },
            )
            assert decided.headers["location"] == f"{TASK_PAGE}?done=decision"
    for _ in range(100):
        row = await stored(sessions, "open")
        if row.due_at.astimezone(PARIS).date().isoformat() == "2027-03-01":
            break
        await asyncio.sleep(0.05)
    # the new day, at the task's own time of day (17:00 in Paris)
    assert row.due_at == datetime(2027, 3, 1, 16, 0, tzinfo=UTC)


class NoTemporal:
    """The engine is away: the page shows what the store holds."""

    def get_workflow_handle(self, workflow_id: str) -> None:
        raise RuntimeError("no engine in this test")


async def test_a_recurring_task_says_its_recurrence_in_words_in_each_language(
    tmp_path: Path,
) -> None:
    document = plan_with(ITEMS)  # veille: from Monday 4 January 2027 at 9:30, monthly, 3 times
    sessions = store_with(document, tmp_path)
    with sessions() as session:
        session.add(running_cycle())
        session.commit()
    tasks = plan_tasks(document, document.plans[0])
    StoreActivities(sessions).project_tasks(
        [TaskRow(task=task, cycle_id="restauration/2027") for task in tasks]
    )
    app = create_app(Settings(data_dir=tmp_path, secret_key=SECRET), sessions=sessions)
    async with app.router.lifespan_context(app), client(app) as browser:
        app.state.temporal = NoTemporal()
        signed_in(browser, sessions, "qdd")
        page = await browser.get("/app/tasks/restauration/2027/veille/2027-02-04")
        assert page.status_code == 200
        assert (
            "<dt>Récurrence</dt>"
            "<dd>le 4 de chaque mois à 9\u00a0h\u00a030, trois fois au total</dd>" in page.text
        )
        one_off = await browser.get(TASK_PAGE)
        assert one_off.status_code == 200 and "Récurrence" not in one_off.text
        with sessions() as session:
            officer = session.get(Person, "qdd")
            assert officer is not None
            officer.locale = "en"
            session.add(officer)
            session.commit()
        english = await browser.get("/app/tasks/restauration/2027/veille/2027-03-04")
        assert (
            "<dt>Recurrence</dt><dd>on the 4th of every month at 9:30 AM, three times in all</dd>"
            in english.text
        )
