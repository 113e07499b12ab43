"""One-click links: one spelling, used once and only once their update succeeded, never logged."""

from __future__ import annotations

import io
import logging
import logging.config
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from api.logs import uvicorn_log_config
from api.main import create_app
from notifications.links import LinkClaim, link_digest, sign_link
from services.settings import Settings
from services.tokens import create_token
from store.tables import Person, Task
from tests.api.test_api import client, start_task, stored_pub_task
from tests.engine.support import RecordingMailer, running_worker
from workflows.task import TaskWorkflow
from workflows.types import CompleteRequest, RescheduleProposal

SECRET = "s3cret"


def link(action: str, task_id: str, person: str = "resto") -> str:
    return sign_link(SECRET, LinkClaim(action, task_id, person, datetime.now(UTC) + timedelta(3)))


def spellings(token: str) -> list[str]:
    """Other ways to write the same link that a lenient base64 decoder reads alike."""
    payload, signature = token.split(".")
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spare = signature[:-1] + last[last.index(signature[-1]) ^ 1]  # only an unused bit differs
    return [
        token + "=",
        f"{payload}=.{signature}",
        f"{payload}.{signature}==",
        f"{payload[:5]}!{payload[5:]}.{signature}",
        f"{payload}.{spare}",
    ]


async def test_a_used_once_link_cannot_be_used_again_in_another_spelling(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document, sessions, task = stored_pub_task(tmp_path)
    with sessions() as session:
        officer = create_token(session, "qdd")
    app = create_app(Settings(data_dir=tmp_path, secret_key=SECRET), sessions=sessions)
    postpone = link("postpone", task.id)
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        await start_task(env, document, task, queue)
        async with app.router.lifespan_context(app):
            app.state.temporal = env.client
            async with client(app) as browser:
                assert (await browser.post(f"/act/{postpone}")).status_code == 200
            async with client(app, officer) as http:
                decided = await http.post(
                    f"/tasks/{task.id}/reschedule-decision", json={"approve": True}
                )
                assert decided.status_code == 200  # no request waits any more
            async with client(app) as browser:
                assert (await browser.post(f"/act/{postpone}")).status_code == 409
                for other in spellings(postpone):
                    again = await browser.post(f"/act/{other}")
                    assert again.status_code == 400, (other, again.text)
                    assert "pas valide" in again.text  # in French, as the page is
                    shown = await browser.get(f"/act/{other}")  # a page, and no button
                    assert shown.status_code == 200 and "pas valide" in shown.text
                    assert "<form" not in shown.text
    assert link_digest(postpone) != link_digest(link("postpone", task.id, "nett"))


class UnreachableHandle:
    async def execute_update(self, *args: Any, **kwargs: Any) -> Any:
        raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")


class UnreachableEngine:
    """A client whose server went away after it connected."""

    def get_workflow_handle(self, workflow_id: str) -> UnreachableHandle:
        return UnreachableHandle()


async def test_a_link_is_used_up_only_once_its_update_has_succeeded(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document, sessions, task = stored_pub_task(tmp_path)
    complete = link("complete", task.id)
    app = create_app(Settings(data_dir=tmp_path, secret_key=SECRET), sessions=sessions)
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        handle = await start_task(env, document, task, queue)
        async with app.router.lifespan_context(app), client(app) as browser:
            app.state.temporal = UnreachableEngine()
            later = await browser.post(f"/act/{complete}")
            assert later.status_code == 503 and "Réessayez" in later.text, later.text
            assert "ce lien reste valable" in later.text
            assert (await browser.get(f"/act/{complete}")).status_code == 200  # still usable
            assert (await handle.query(TaskWorkflow.view)).status == "open"
            app.state.temporal = env.client
            done = await browser.post(f"/act/{complete}")
            assert done.status_code == 200 and "C&#39;est noté" in done.text
            assert (await handle.query(TaskWorkflow.view)).done_by == "resto"
            assert (await browser.post(f"/act/{complete}")).status_code == 409


async def test_a_retried_link_runs_its_update_once(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document, sessions, task = stored_pub_task(tmp_path)
    postpone = link("postpone", task.id)
    app = create_app(Settings(data_dir=tmp_path, secret_key=SECRET), sessions=sessions)
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        handle = await start_task(env, document, task, queue)
        # The first click's update ran, but its answer never reached the browser.
        proposal = RescheduleProposal(by="resto", due=task.due + timedelta(days=7), reason="x")
        await handle.execute_update(
            TaskWorkflow.request_reschedule, proposal, id=f"link:{link_digest(postpone)}"
        )
        async with app.router.lifespan_context(app), client(app) as browser:
            app.state.temporal = env.client
            retried = await browser.post(f"/act/{postpone}")
            assert retried.status_code == 200, retried.text  # not "a request already waits"
            assert "Demande envoyée" in retried.text
            assert (await browser.post(f"/act/{postpone}")).status_code == 409
        complete = link("complete", task.id)
        await handle.execute_update(
            TaskWorkflow.complete, CompleteRequest(by="resto"), id=f"link:{link_digest(complete)}"
        )
        async with app.router.lifespan_context(app), client(app) as browser:
            app.state.temporal = env.client
            assert (await browser.post(f"/act/{complete}")).status_code == 200


async def test_a_departed_persons_links_no_longer_work(tmp_path: Path) -> None:
    _, sessions, task = stored_pub_task(tmp_path)
    with sessions() as session:
        departed = session.get(Person, "resto")
        assert departed is not None
        departed.active = False
        session.add(departed)
        session.commit()
    app = create_app(Settings(data_dir=tmp_path, secret_key=SECRET), sessions=sessions)
    async with app.router.lifespan_context(app), client(app) as browser:
        for method in ("GET", "POST"):
            refused = await browser.request(method, f"/act/{link('complete', task.id)}")
            assert refused.status_code == 403 and "n&#39;est plus valable" in refused.text


async def test_links_are_redacted_in_the_audit_trail_and_the_access_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, sessions, task = stored_pub_task(tmp_path)
    with sessions() as session:
        officer = create_token(session, "qdd")
    complete = link("complete", task.id)
    app = create_app(
        Settings(data_dir=tmp_path, secret_key=SECRET, temporal_address="127.0.0.1:9"),
        sessions=sessions,
    )
    async with app.router.lifespan_context(app):
        async with client(app) as browser:
            app.state.temporal = UnreachableEngine()
            assert (await browser.post(f"/act/{complete}")).status_code == 503
            assert (await browser.post("/act/not-a-link")).status_code == 400
        async with client(app, officer) as http:
            trail = (await http.get("/audit")).json()
    assert [(row["path"], row["target"], row["person_id"]) for row in trail] == [
        ("/act/…", task.id, "resto"),
        ("/act/…", None, None),
    ]
    payload, signature = complete.split(".")
    assert payload not in str(trail) and signature not in str(trail)

    logging.config.dictConfig(uvicorn_log_config())
    access = logging.getLogger("uvicorn.access")
    stream = io.StringIO()
    (handler,) = access.handlers
    handler.setStream(stream)  # type: ignore[attr-defined]
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", f"/act/{complete}", "1.1", 200)
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/me/tasks?limit=5", "1.1", 200)
    lines = stream.getvalue()
    assert '"POST /act/… HTTP/1.1" 200' in lines and payload not in lines
    assert '"GET /me/tasks?limit=5 HTTP/1.1" 200' in lines


async def test_the_one_click_page_tells_the_task_and_takes_a_comment_and_a_pdf(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document, sessions, task = stored_pub_task(tmp_path)
    complete = link("complete", task.id)
    app = create_app(Settings(data_dir=tmp_path, secret_key=SECRET), sessions=sessions)
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        handle = await start_task(env, document, task, queue)
        async with app.router.lifespan_context(app), client(app) as browser:
            app.state.temporal = env.client
            shown = await browser.get(f"/act/{complete}")
            assert "lundi 15 février 2027 à 17 h" in shown.text and "Restauration" in shown.text
            assert 'name="comment"' in shown.text and 'type="file"' in shown.text
            assert f'href="/app/tasks/{task.id}"' in shown.text
            done = await browser.post(
                f"/act/{complete}",
                data={"comment": "Avis publié le 12 février"},
                files={"files": ("avis.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
            )
            assert done.status_code == 200, done.text
        assert (await handle.query(TaskWorkflow.view)).done_by == "resto"
    with sessions() as session:
        stored = session.get(Task, task.id)
        assert stored is not None and stored.comment == "Avis publié le 12 février"
        assert stored.evidence_url and f"/app/tasks/{task.id}/evidence/" in stored.evidence_url
