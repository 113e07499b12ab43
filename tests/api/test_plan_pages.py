"""The plan's page as the officer submits it and the direction decides on it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from services.plans import import_plans
from services.settings import Settings
from services.tokens import open_person_session
from store.database import SessionFactory
from tests.api.test_api import client, stored_pub_task
from tests.engine.support import RecordingMailer, running_cycle, running_worker, store_with
from tests.plans import plan_with

SECRET = "s3cret-s3cret-s3cret-s3cret-s3cret-42"
PLAN_PAGE = "/app/plans/restauration/2027"
ITEMS = """
    - {id: pub, kind: action, title: Publier le marché bio, assignees: [resto], due: "2027-02-15",
       objective: bio-local}
    - {id: veille, kind: regulatory_watch_review, title: Revue de veille, assignees: [resto, nett],
       start: "2027-04-05T09:30", rrule: "FREQ=MONTHLY;COUNT=2"}
"""


def signed_in(browser: httpx.AsyncClient, sessions: SessionFactory, person: str) -> None:
    with sessions() as session:
        secret, _ = open_person_session(session, person)
    browser.cookies.set("boucle_session", secret)


def hidden(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page.text)
    assert found, f"no {name} in the page"
    return found.group(1)


async def test_the_officer_submits_and_the_direction_approves_from_the_plan_page(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    sessions = store_with(plan_with(""), tmp_path)
    mailer = RecordingMailer()
    async with running_worker(env.client, sessions, mailer) as queue:
        await import_plans(
            plan_with(ITEMS), sessions, env.client, queue, by="qdd", with_search_attributes=False
        )
        app = create_app(
            Settings(data_dir=tmp_path, secret_key=SECRET, task_queue=queue), sessions=sessions
        )
        async with app.router.lifespan_context(app), client(app) as browser:
            app.state.temporal = env.client
            signed_in(browser, sessions, "qdd")
            draft = await browser.get(PLAN_PAGE)
            assert draft.status_code == 200
            assert "En préparation par le responsable Qualité &amp; DD." in draft.text
            assert "Approuver le plan" not in draft.text
            submitted = await browser.post(
                f"{PLAN_PAGE}/submit",
                data={"csrf": hidden(draft, "csrf"), "nonce": hidden(draft, "nonce")},
            )
            assert submitted.headers["location"] == f"{PLAN_PAGE}?done=submitted"

            signed_in(browser, sessions, "dgs")
            shown = await browser.get(PLAN_PAGE)
            text = shown.text
            assert "Plan 2027 — Restauration" in text
            assert "2 éléments, 3 occurrences dans l&#39;année" in text
            assert "en attente de votre décision" in text
            assert "Développer le bio" in text and "Part bio — Cible 20\u00a0%" in text
            assert '<h3 id="month-2">Février <span class="muted">(1)</span></h3>' in text
            assert "lundi 15 février 2027" in text and "Publier le marché bio" in text
            # Paul: the action and two reviews; Nadia: the two reviews
            assert re.search(r"Paul Durand</td><td [^>]*>3</td>", text)
            assert re.search(r"Nadia Benali</td><td [^>]*>2</td>", text)
            assert "Renvoyer au responsable Qualité &amp; DD" in text
            sent_back = await browser.post(
                f"{PLAN_PAGE}/return",
                data={
                    "csrf": hidden(shown, "csrf"),
                    "nonce": hidden(shown, "nonce"),
                    "comment": "Ajoutez une rencontre avec les producteurs locaux.",
                },
            )
            assert sent_back.headers["location"] == f"{PLAN_PAGE}?done=sent_back"

            signed_in(browser, sessions, "qdd")
            returned = await browser.get(PLAN_PAGE)
            assert "« Ajoutez une rencontre avec les producteurs locaux. »" in returned.text
            assert "Soumettre à la direction" in returned.text
            resubmitted = await browser.post(
                f"{PLAN_PAGE}/submit",
                data={"csrf": hidden(returned, "csrf"), "nonce": hidden(returned, "nonce")},
            )
            assert resubmitted.headers["location"] == f"{PLAN_PAGE}?done=submitted"

            signed_in(browser, sessions, "dgs")
            shown = await browser.get(PLAN_PAGE)
            assert "en attente de votre décision" in shown.text
            approved = await browser.post(
                f"{PLAN_PAGE}/approve",
                data={"csrf": hidden(shown, "csrf"), "nonce": hidden(shown, "nonce")},
            )
            assert approved.headers["location"] == f"{PLAN_PAGE}?done=approved"
            after = await browser.get(approved.headers["location"])
            assert "Plan approuvé : les invitations de l&#39;année partent." in after.text
            assert "Approuvé le" in after.text and "Anne Leroy" in after.text
            again = await browser.post(
                f"{PLAN_PAGE}/approve",
                data={"csrf": hidden(shown, "csrf"), "nonce": "another"},
            )
            assert again.status_code == 409  # already approved: the validator says why
            assert "Retour au plan" in again.text

            signed_in(browser, sessions, "resto")
            assert (await browser.get(PLAN_PAGE)).status_code == 403
        for _ in range(200):  # the approval notice goes out just after the answer
            if any("approuvé" in str(mail["Subject"]) for mail in mailer.sent):
                break
            await asyncio.sleep(0.05)

    to_officer = [m for m in mailer.sent if "claire.martin@example.org" in str(m["To"])]
    returned_mail = [m for m in to_officer if "renvoyé" in str(m["Subject"])]
    assert [str(m["Subject"]) for m in returned_mail] == [
        "Plan 2027 renvoyé par la direction : Restauration"
    ]
    body = returned_mail[0].get_body(preferencelist=("plain",))
    assert body is not None and "Ajoutez une rencontre avec les producteurs locaux." in str(
        body.get_content()
    )
    subjects = sorted({str(mail["Subject"]) for mail in mailer.sent})
    assert any("approuvé" in subject for subject in subjects), subjects


async def test_the_cycle_page_shows_the_year_by_month_to_the_portfolio_s_buyer(
    tmp_path: Path,
) -> None:
    _, sessions, _ = stored_pub_task(tmp_path)
    with sessions() as session:
        session.add(running_cycle())
        session.commit()
    app = create_app(Settings(data_dir=tmp_path, secret_key=SECRET), sessions=sessions)
    async with app.router.lifespan_context(app), client(app) as browser:
        signed_in(browser, sessions, "resto")
        cycle = await browser.get("/app/cycles/restauration/2027")
        assert cycle.status_code == 200
        assert "<h2>Février</h2>" in cycle.text and "lundi 15 février 2027" in cycle.text
        assert 'href="/app/tasks/restauration/2027/pub/2027-02-15">Publier</a>' in cycle.text
        assert "en cours" in cycle.text  # the phase, in words
        signed_in(browser, sessions, "nett")  # a buyer of no portfolio of this cycle
        assert (await browser.get("/app/cycles/restauration/2027")).status_code == 403
