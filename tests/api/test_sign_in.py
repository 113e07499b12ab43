"""Signing in as a person does: an address typed, a link emailed, followed once, then back."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from activities.notify import NotificationConfig
from api.main import create_app
from services.settings import Settings
from services.tokens import open_person_session
from store.tables import PageSession
from tests.api.test_api import client, stored_pub_task
from tests.engine.support import RecordingMailer, running_worker

SECRET = "s3cret-s3cret-s3cret-s3cret-s3cret-42"
TASK_PAGE = "/app/tasks/restauration/2027/pub/2027-02-15"


def form_key(page: httpx.Response) -> str:
    found = re.search(r'name="form_key" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def next_mail(mailer: RecordingMailer, count: int) -> EmailMessage:
    for _ in range(200):
        if len(mailer.sent) >= count:
            return mailer.sent[count - 1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} message(s) expected, {len(mailer.sent)} sent")


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


async def test_a_buyer_signs_in_by_the_emailed_link_and_lands_on_the_page_asked_for(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    _, sessions, _ = stored_pub_task(tmp_path)
    mailer = RecordingMailer()
    config = NotificationConfig(app_url="http://127.0.0.1:8000", link_secret=SECRET)
    async with running_worker(env.client, sessions, mailer, config) as queue:
        settings = Settings(data_dir=tmp_path, secret_key=SECRET, task_queue=queue)
        app = create_app(settings, sessions=sessions)
        async with app.router.lifespan_context(app):
            app.state.temporal = env.client
            async with client(app) as browser:
                asked = await browser.get(TASK_PAGE)
                assert asked.status_code == 303
                assert asked.headers["location"] == f"/app/sign-in?next={TASK_PAGE}"
                form = await browser.get(asked.headers["location"])
                assert form.status_code == 200 and "Adresse électronique" in form.text

                forged = await browser.post(
                    "/app/sign-in", data={"email": "paul.durand@example.org", "next": TASK_PAGE}
                )
                assert forged.status_code == 403  # not the form this page served

                sent = await browser.post(
                    "/app/sign-in",
                    data={
                        "email": " Paul.Durand@Example.org ",
                        "next": TASK_PAGE,
                        "form_key": form_key(form),
                    },
                )
                assert sent.status_code == 200
                assert "Vérifiez votre messagerie" in sent.text
                mail = await next_mail(mailer, 1)
                assert mail["To"] == "Paul Durand <paul.durand@example.org>"
                assert mail["Subject"] == "Votre lien de connexion à Boucle"
                body = text_of(mail)
                assert "Bonjour Paul Durand," in body and "une seule fois" in body
                link = re.search(r"http://127\.0\.0\.1:8000(/app/sign-in/\S+)", body)
                assert link, body

                unknown = await browser.post(
                    "/app/sign-in",
                    data={
                        "email": "personne@example.org",
                        "next": "",
                        "form_key": form_key(form),
                    },
                )
                assert unknown.status_code == 200 and "Vérifiez votre messagerie" in unknown.text

                confirm = await browser.get(link.group(1))
                assert confirm.status_code == 200
                assert "Vous allez vous connecter en tant que Paul Durand." in confirm.text
                assert "boucle_session" not in browser.cookies  # a mail scanner's GET opens nothing
                entered = await browser.post(link.group(1), data={"form_key": form_key(confirm)})
                assert entered.status_code == 303 and entered.headers["location"] == TASK_PAGE
                cookie = entered.headers["set-cookie"].lower()
                assert "httponly" in cookie and "samesite=lax" in cookie and "path=/;" in cookie

                page = await browser.get(TASK_PAGE)
                assert page.status_code == 200
                assert "<h1>Publier</h1>" in page.text and "Restauration" in page.text
                assert "Développer" not in page.text  # the item names no objective

                again = await browser.get(link.group(1))  # the same email, clicked again
                assert again.status_code == 200 and "déjà servi" in again.text
                assert "Demander un nouveau lien" in again.text
                replayed = await browser.post(link.group(1), data={"form_key": form_key(confirm)})
                assert replayed.status_code in (403, 409) and "boucle_session" in browser.cookies
        await asyncio.sleep(0.5)
        assert len(mailer.sent) == 1  # the unknown address received nothing


async def test_a_page_session_ends_at_sign_out_and_when_left_idle(tmp_path: Path) -> None:
    _, sessions, _ = stored_pub_task(tmp_path)
    app = create_app(Settings(data_dir=tmp_path, secret_key=SECRET), sessions=sessions)
    with sessions() as session:
        secret, row = open_person_session(session, "resto")
        idle_secret, idle = open_person_session(session, "resto")
        idle.last_seen_at = datetime.now(UTC) - timedelta(hours=3)
        session.add(idle)
        session.commit()
    async with app.router.lifespan_context(app), client(app) as browser:
        browser.cookies.set("boucle_session", idle_secret)
        assert (await browser.get("/app/tasks")).status_code == 303  # idle for 3 hours

        browser.cookies.set("boucle_session", secret)
        mine = await browser.get("/app/tasks")
        assert mine.status_code == 200 and "Mes tâches" in mine.text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', mine.text)
        assert csrf
        refused = await browser.post("/app/sign-out", data={"csrf": "0" * 64})
        assert refused.status_code == 303
        browser.cookies.set("boucle_session", secret)
        assert (await browser.get("/app/tasks")).status_code == 200  # a forged form ends nothing
        left = await browser.post("/app/sign-out", data={"csrf": csrf.group(1)})
        assert left.status_code == 303 and left.headers["location"] == "/app/sign-in"
        browser.cookies.set("boucle_session", secret)
        assert (await browser.get("/app/tasks")).status_code == 303
    with sessions() as session:
        assert session.get(PageSession, row.id).revoked_at is not None  # type: ignore[union-attr]


async def test_the_next_page_is_always_one_of_boucle_s_own(tmp_path: Path) -> None:
    _, sessions, _ = stored_pub_task(tmp_path)
    app = create_app(Settings(data_dir=tmp_path, secret_key=SECRET), sessions=sessions)
    async with app.router.lifespan_context(app), client(app) as browser:
        for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
            form = await browser.get("/app/sign-in", params={"next": target})
            assert 'name="next" value="/app/tasks"' in form.text, target


async def test_a_sign_in_link_is_worth_nothing_after_15_minutes_or_for_another_use(
    tmp_path: Path,
) -> None:
    from notifications.links import LinkClaim, sign_link

    _, sessions, _ = stored_pub_task(tmp_path)
    app = create_app(Settings(data_dir=tmp_path, secret_key=SECRET), sessions=sessions)
    now = datetime.now(UTC)
    expired = sign_link(SECRET, LinkClaim("sign-in", "/app/tasks", "resto", now - timedelta(1)))
    one_click = sign_link(SECRET, LinkClaim("complete", "/app/tasks", "resto", now + timedelta(1)))
    async with app.router.lifespan_context(app), client(app) as browser:
        for token in (expired, one_click, expired + "x"):
            answer = await browser.get(f"/app/sign-in/{token}")
            assert answer.status_code == 200 and "Continuer" not in answer.text
            assert "n&#39;est pas valide ou a expiré" in answer.text
            assert "boucle_session" not in browser.cookies


async def test_a_sign_in_link_is_no_one_click_action(tmp_path: Path) -> None:
    from notifications.links import LinkClaim, sign_link

    _, sessions, task = stored_pub_task(tmp_path)
    app = create_app(Settings(data_dir=tmp_path, secret_key=SECRET), sessions=sessions)
    until = datetime.now(UTC) + timedelta(minutes=15)
    sign_in = sign_link(SECRET, LinkClaim("sign-in", task.id, "resto", until))
    async with app.router.lifespan_context(app), client(app) as browser:
        for method in ("GET", "POST"):
            answer = await browser.request(method, f"/act/{sign_in}")
            assert answer.status_code == (200 if method == "GET" else 400)
            assert "pas valide" in answer.text and "<form" not in answer.text
