"""Closing the year from the browser: the officer records the review beside the scorecard,
sees next year's draft beside this year's plan and accepts or changes its targets."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from api.main import create_app
from api.page_text import TEXT
from api.routes.review_pages import parse_target
from domain.documents import single_plan
from domain.model import Role
from services.settings import Settings
from services.tokens import create_token
from store.database import SessionFactory
from store.tables import Cycle, IndicatorValue, Person, PlanVersion, Task
from tests.api.test_api import client
from tests.api.test_plan_pages import hidden, signed_in
from tests.api.test_roles import seeded
from tests.engine.support import RecordingMailer, running_worker, store_with
from tests.plans import plan_with
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import CycleInput, CycleState, Phase, cycle_workflow_id

SECRET = "s3cret-s3cret-s3cret-s3cret-s3cret-42"
REVIEW_PAGE = "/app/cycles/restauration/2027/review"
ITEMS = """
    - {id: pub, kind: action, title: Publier le marché bio, assignees: [resto], due: "2027-02-15",
       objective: bio-local}
    - {id: veille, kind: regulatory_watch_review, title: Revue de veille, assignees: [resto],
       start: "2027-04-05T09:30", rrule: "FREQ=MONTHLY;COUNT=2"}
"""
LESSONS = "Les cuisiniers adhèrent quand on les forme tôt.\nLe marché bio a pris du retard."
DECISIONS = "Former les cuisiniers dès janvier\n\nSigner la charte fournisseurs\n"


def stored_year(folder: Path) -> SessionFactory:
    """2027 as lived: the action missed (never published), part bio at 17 % at year end."""
    sessions = store_with(plan_with(ITEMS), folder)
    due = datetime(2027, 2, 15, 16, tzinfo=UTC)
    with sessions() as session:
        session.add(
            Task(
                id="restauration/2027/pub/2027-02-15",
                cycle_id="restauration/2027",
                portfolio="restauration",
                year=2027,
                item="pub",
                kind="action",
                title="Publier le marché bio",
                due_at=due,
                original_at=due,
                assignees=["resto"],
                status="missed",
            )
        )
        session.add(
            IndicatorValue(
                indicator_id="part-bio",
                portfolio_id="restauration",
                period="2027-Q4",
                value=17.0,
                recorded_at=datetime(2027, 11, 20, tzinfo=UTC),
            )
        )
        session.commit()
    return sessions


async def start_evaluating(env: WorkflowEnvironment, queue: str) -> None:
    """The 2027 cycle as its continue-as-new starts it on the evaluation date."""
    document = plan_with(ITEMS)
    plan = document.plans[0]
    now = await env.get_current_time()
    await env.client.start_workflow(
        PortfolioCycleWorkflow.run,
        CycleInput(
            portfolio="restauration",
            year=2027,
            document=single_plan(document, plan),
            holidays=cycle_holidays(document.organisation, 2027),
            plan_version=1,
            phase=Phase.evaluating,
            state=CycleState(
                approved_at=now - timedelta(days=300),
                approved_by="dgs",
                execution_start=now - timedelta(days=300),
                values_requested_at=now - timedelta(days=30),
            ),
            search_attributes=False,
        ),
        id=cycle_workflow_id("restauration", 2027),
        task_queue=queue,
    )


async def until(what: str, check, timeout: float = 30.0):  # noqa: ANN001, ANN201
    for _ in range(int(timeout / 0.1)):
        found = check()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"waited for {what}")


def versions(sessions: SessionFactory, year: int) -> list[PlanVersion]:
    with sessions() as session:
        return list(
            session.exec(
                select(PlanVersion)
                .where(PlanVersion.year == year)
                .order_by(col(PlanVersion.version))
            )
        )


async def test_the_officer_closes_the_year_from_the_review_page(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    sessions = stored_year(tmp_path)
    with sessions() as session:
        officer_token = create_token(session, "qdd")
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        await start_evaluating(env, queue)

        def scorecard_stored() -> bool:
            with sessions() as session:
                cycle = session.get(Cycle, "restauration/2027")
                return cycle is not None and cycle.scorecard is not None

        await until("the evaluation's scorecard", scorecard_stored)
        app = create_app(
            Settings(data_dir=tmp_path, secret_key=SECRET, task_queue=queue), sessions=sessions
        )
        async with app.router.lifespan_context(app), client(app) as browser:
            app.state.temporal = env.client
            signed_in(browser, sessions, "qdd")
            shown = await browser.get(REVIEW_PAGE)
            assert shown.status_code == 200
            text = shown.text
            assert "Clôture de l&#39;année 2027 — Restauration" in text
            assert "Cycle en évaluation." in text
            # The scorecard beside the form: 17 % against 20 %, 0 of 3 tasks on time.
            assert re.search(r"Part bio</td>\s*<td[^>]*>17\u00a0%</td>\s*<td[^>]*>20\u00a0%", text)
            assert "0 tâche(s) faite(s) à temps, 0 en retard, 1 non faite(s) sur 1." in text
            assert 'name="lessons"' in text and "Enregistrer la revue" in text
            assert "sera généré dès que la revue sera enregistrée" in text

            empty = await browser.post(
                REVIEW_PAGE, data={"csrf": hidden(shown, "csrf"), "lessons": "  ", "decisions": ""}
            )
            assert empty.status_code == 422
            assert 'id="lessons-error">Écrivez les enseignements de l&#39;année' in empty.text
            assert 'aria-invalid="true"' in empty.text

            recorded = await browser.post(
                REVIEW_PAGE,
                data={"csrf": hidden(shown, "csrf"), "lessons": LESSONS, "decisions": DECISIONS},
            )
            assert recorded.status_code == 303
            assert recorded.headers["location"] == f"{REVIEW_PAGE}?done=review"

            # The review shows in the cycle as the API reads it, and next year's draft follows.
            async with client(app, officer_token) as api:

                async def review_in_the_cycle() -> dict | None:
                    return (await api.get("/cycles/restauration/2027")).json()["review"]

                for _ in range(300):
                    review = await review_in_the_cycle()
                    if review and versions(sessions, 2028):
                        break
                    await asyncio.sleep(0.1)
            assert review is not None
            assert review["lessons"] == LESSONS
            assert review["decisions"] == [
                "Former les cuisiniers dès janvier",
                "Signer la charte fournisseurs",
            ]
            assert review["recorded_by"] == "qdd"

            again = await browser.post(
                REVIEW_PAGE,
                data={"csrf": hidden(shown, "csrf"), "lessons": "Autre", "decisions": ""},
            )
            assert again.status_code == 409
            notice = re.search(r'id="refusal">([^<]*)<', again.text)
            assert notice, again.text[-2000:]
            # The cycle has moved on to improving: its validator says the review is recorded.
            assert notice[1] == (
                "La revue n&#39;a pas été enregistrée : le bilan est déjà enregistré"
            )

            page = await browser.get(REVIEW_PAGE)
            text = page.text
            assert "Les cuisiniers adhèrent quand on les forme tôt." in text
            assert "<li>Signer la charte fournisseurs</li>" in text
            assert "Projet 2028, version 1 (brouillon)." in text
            compared = text.split('id="compare-title"')[1].split('id="targets-title"')[0]
            rows = [row for row in re.findall(r"<tr>(.*?)</tr>", compared, re.S) if "origin" in row]
            origins = [re.findall(r'class="origin (\w+)"', row) for row in rows]
            titles = [re.sub(r"<[^>]+>", " ", row) for row in rows]
            # Next year: the missed action carried over, the monthly review rolled forward,
            # one action per decision.
            assert origins == [["carried"], ["rolled"], ["decided"], ["decided"]]
            carried = next(t for t, o in zip(titles, origins, strict=True) if o == ["carried"])
            assert carried.count("Publier le marché bio") == 2 and "31 mars 2028" in carried
            decided = [t for t, o in zip(titles, origins, strict=True) if o == ["decided"]]
            assert (
                "Former les cuisiniers dès janvier" in decided[0] and "30 juin 2028" in decided[0]
            )
            # Part bio rose 5 points from its baseline of 12: 17 + 5 = 22 is proposed.
            assert 'name="target:part-bio"' in text
            assert re.search(r'name="target:part-bio" inputmode="decimal"\s*value="22"', text)

            wrong = await browser.post(
                "/app/cycles/restauration/2027/next-targets",
                data={"csrf": hidden(page, "csrf"), "target:part-bio": "vingt"},
            )
            assert wrong.status_code == 422
            assert 'id="target-part-bio-error">« vingt » n&#39;est pas un nombre' in wrong.text
            assert 'value="vingt"' in wrong.text  # what was typed stays to be corrected
            assert len(versions(sessions, 2028)) == 1

            accepted = await browser.post(
                "/app/cycles/restauration/2027/next-targets",
                data={"csrf": hidden(page, "csrf"), "target:part-bio": "22"},
            )
            assert accepted.headers["location"] == f"{REVIEW_PAGE}?done=same"
            assert len(versions(sessions, 2028)) == 1  # the draft already proposes 22

            changed = await browser.post(
                "/app/cycles/restauration/2027/next-targets",
                data={"csrf": hidden(page, "csrf"), "target:part-bio": "25,5"},
            )
            assert changed.headers["location"] == f"{REVIEW_PAGE}?done=targets&version=2"
            first, second = versions(sessions, 2028)
            assert (second.version, second.status, second.created_by) == (2, "draft", "qdd")
            (bio,) = second.document["indicators"]
            assert (bio["id"], bio["target"], bio["baseline"]) == ("part-bio", 25.5, 17.0)
            assert second.document["plans"][0]["items"] == first.document["plans"][0]["items"]
            after = await browser.get(changed.headers["location"])
            assert "Cibles enregistrées : version 2 du projet 2028." in after.text
            assert re.search(
                r'name="target:part-bio" inputmode="decimal"\s*value="25,5"', after.text
            )
            # Next year's cycle now waits on version 2.
            next_year = env.client.get_workflow_handle(cycle_workflow_id("restauration", 2028))
            view = await next_year.query(PortfolioCycleWorkflow.view)
            assert (view.phase, view.plan_version) == (Phase.planning, 2)

            signed_in(browser, sessions, "dgs")
            read_only = await browser.get(REVIEW_PAGE)
            assert read_only.status_code == 200 and 'name="target:part-bio"' not in read_only.text
            refused = await browser.post(
                REVIEW_PAGE, data={"csrf": hidden(read_only, "csrf"), "lessons": "x"}
            )
            assert refused.status_code == 403
            signed_in(browser, sessions, "resto")
            assert (await browser.get(REVIEW_PAGE)).status_code == 403


def test_a_target_is_read_as_people_type_it() -> None:
    t = TEXT["fr"]
    assert parse_target("25,5", "percent", t) == (25.5, None)
    assert parse_target(" 12\u202f000 € ", "euros", t) == (12000.0, None)
    assert parse_target("", "percent", t) == (None, None)
    assert parse_target("120", "percent", t) == (None, "Un pourcentage va de 0 à 100.")
    assert (
        parse_target("nan", "count", t)[1]
        == "« nan » n'est pas un nombre (par exemple 25 ou 25,5)."
    )


async def test_the_closing_page_speaks_english_to_an_english_officer(tmp_path: Path) -> None:
    sessions, tokens = seeded(tmp_path)
    with sessions() as session:
        officer = session.get(Person, "qdd")
        assert officer is not None
        officer.locale = "en"
        session.add(officer)
        session.commit()
    app = create_app(Settings(data_dir=tmp_path, secret_key=SECRET), sessions=sessions)
    async with app.router.lifespan_context(app), client(app, tokens[Role.officer]) as http:
        shown = await http.get(REVIEW_PAGE)
    assert shown.status_code == 200
    assert "<h1>Closing 2027 — Restauration</h1>" in shown.text
    assert "Cycle being executed." in shown.text
    assert "No review recorded." in shown.text  # its row says no evaluation date
    assert "The 2028 draft plan is generated once the review is recorded." in shown.text
    assert "Download the 2027 report (PDF)" in shown.text
