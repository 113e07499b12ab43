"""The officer prepares the plan in the browser: upload, the item form, the year drawn."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from services.plan_files import write_plan_workbook
from services.plans import import_plans
from services.settings import Settings
from store.tables import PlanVersion
from tests.api.test_api import client
from tests.api.test_plan_pages import SECRET, hidden, signed_in
from tests.engine.support import RecordingMailer, running_worker, store_with
from tests.plans import plan_text, plan_with

PLAN_PAGE = "/app/plans/restauration/2027"
ITEMS = """
    - {id: pub, kind: action, title: Publier le marché bio, assignees: [resto], due: "2027-02-15",
       objective: bio-local}
    - {id: veille, kind: regulatory_watch_review, title: Revue de veille, assignees: [resto, nett],
       start: "2027-04-05T09:30", rrule: "FREQ=MONTHLY;COUNT=2"}
    - {id: bilan, kind: action, title: Bilan des menus, assignees: [nett], due: "2027-05-06"}
"""
NO_ENGINE = "127.0.0.1:9"  # nothing listens: the page reads the store alone


def text_of(html: str) -> str:
    """The page's words without markup, as a person reads them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").strip()


async def test_the_calendar_the_weekly_notices_and_the_load_of_a_small_plan(
    tmp_path: Path,
) -> None:
    sessions = store_with(plan_with(ITEMS), tmp_path)
    settings = Settings(data_dir=tmp_path, secret_key=SECRET, temporal_address=NO_ENGINE)
    app = create_app(settings, sessions=sessions)
    async with app.router.lifespan_context(app), client(app) as browser:
        signed_in(browser, sessions, "qdd")
        shown = await browser.get(PLAN_PAGE)
    assert shown.status_code == 200
    words = text_of(shown.text)
    months = re.findall(r'<h3 id="month-(\d+)">(\w+) <span class="muted">\((\d+)\)', shown.text)
    assert months == [
        ("1", "Janvier", "0"),
        ("2", "Février", "1"),
        ("3", "Mars", "0"),
        ("4", "Avril", "1"),
        ("5", "Mai", "2"),
        ("6", "Juin", "0"),
        ("7", "Juillet", "0"),
        ("8", "Août", "0"),
        ("9", "Septembre", "0"),
        ("10", "Octobre", "0"),
        ("11", "Novembre", "0"),
        ("12", "Décembre", "0"),
    ]
    assert "lundi 15 février 2027 Publier le marché bio action Paul Durand" in words
    assert "lundi 5 avril 2027, 9 h 30 Revue de veille revue de veille réglementaire" in words
    assert "mercredi 5 mai 2027, 9 h 30 Revue de veille" in words
    # Thursday 6 May 2027 is Ascension: the action moves to Friday 7 May
    assert (
        "vendredi 7 mai 2027 déplacé — déplacée du jeudi 6 mai 2027 (Ascension) Bilan des menus"
        in words
    )
    # Paul: the action and two reviews; Nadia: two reviews and the moved action
    assert re.search(r"Paul Durand</td><td [^>]*>3</td>", shown.text)
    assert re.search(r"Nadia Benali</td><td [^>]*>3</td>", shown.text)
    assert "le 5 de chaque mois à 9 h 30, deux fois au total FREQ=MONTHLY;COUNT=2" in words
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in shown.text
    assert "Les semaines les plus chargées" in words
    assert "Ajouter un élément" in words and "Importer un plan" in words


async def test_buyers_are_refused_and_the_direction_reads_without_editing(
    tmp_path: Path,
) -> None:
    sessions = store_with(plan_with(ITEMS), tmp_path)
    settings = Settings(data_dir=tmp_path, secret_key=SECRET, temporal_address=NO_ENGINE)
    app = create_app(settings, sessions=sessions)
    async with app.router.lifespan_context(app), client(app) as browser:
        signed_in(browser, sessions, "resto")
        assert (await browser.get(PLAN_PAGE)).status_code == 403
        assert (await browser.get(f"{PLAN_PAGE}/items/new")).status_code == 403
        assert (await browser.post(f"{PLAN_PAGE}/items", data={})).status_code == 403
        upload = await browser.post(
            f"{PLAN_PAGE}/upload", files={"file": ("plan.yaml", b"version: 1\n")}
        )
        assert upload.status_code == 403
        signed_in(browser, sessions, "dgs")
        shown = await browser.get(PLAN_PAGE)
        assert shown.status_code == 200 and "Revue de veille" in shown.text
        assert "Ajouter un élément" not in shown.text and "Importer un plan" not in shown.text
        assert (await browser.get(f"{PLAN_PAGE}/items/veille")).status_code == 403


async def test_the_officer_uploads_then_edits_an_item_each_a_new_version_with_its_diff(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    sessions = store_with(plan_with(""), tmp_path)
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        await import_plans(
            plan_with(ITEMS), sessions, env.client, queue, by="qdd", with_search_attributes=False
        )
        settings = Settings(data_dir=tmp_path, secret_key=SECRET, task_queue=queue)
        app = create_app(settings, sessions=sessions)
        async with app.router.lifespan_context(app), client(app) as browser:
            app.state.temporal = env.client
            signed_in(browser, sessions, "qdd")
            shown = await browser.get(PLAN_PAGE)
            csrf = hidden(shown, "csrf")

            broken = plan_text(ITEMS).replace(
                'due: "2027-05-06"}', 'due: "2027-05-06"\n'
            )  # the flow mapping is never closed
            refused = await browser.post(
                f"{PLAN_PAGE}/upload",
                data={"csrf": csrf},
                files={"file": ("plan.yaml", broken.encode())},
            )
            assert refused.status_code == 422
            # the file's 36 lines end inside the mapping: libyaml says so at line 37
            assert "ligne 37 : YAML illisible : did not find expected ',' or '}'" in text_of(
                refused.text
            )
            assert 'aria-invalid="true"' in refused.text and 'id="upload-errors"' in refused.text

            unknown = plan_text(ITEMS.replace("assignees: [nett]", "assignees: [zoe]"))
            refused = await browser.post(
                f"{PLAN_PAGE}/upload",
                data={"csrf": csrf},
                files={"file": ("plan.yaml", unknown.encode())},
            )
            assert refused.status_code == 422
            expected_line = unknown.splitlines().index(
                next(t for t in unknown.splitlines() if "[zoe]" in t)
            )
            assert f"ligne {expected_line + 1}" in text_of(refused.text)
            assert "plans[0].items[2].assignees[0]" in refused.text
            assert "« zoe » inconnue" in refused.text

            more = ITEMS + (
                "    - {id: menus, kind: action, title: Menus végétariens, assignees: [resto],\n"
                '       due: "2027-09-30"}\n'
            )
            uploaded = await browser.post(
                f"{PLAN_PAGE}/upload",
                data={"csrf": csrf},
                files={"file": ("plan.yaml", plan_text(more).encode())},
            )
            assert uploaded.status_code == 303
            assert uploaded.headers["location"] == f"{PLAN_PAGE}?uploaded=3"
            after = await browser.get(uploaded.headers["location"])
            assert "Plan importé : version 3 en préparation." in after.text
            assert "Ce qui a changé par rapport à la version 2" in after.text
            assert "Menus végétariens" in text_of(after.text)

            form = await browser.get(f"{PLAN_PAGE}/items/veille")
            assert form.status_code == 200
            assert 'value="2027-04-05"' in form.text and 'value="09:30"' in form.text
            wrong = await browser.post(
                f"{PLAN_PAGE}/items/veille",
                data={
                    "csrf": csrf,
                    "kind": "regulatory_watch_review",
                    "title": "Revue de veille",
                    "start": "2028-04-05",
                    "start_time": "09:30",
                    "repeat": "monthly_weekday",
                    "nth": "1",
                    "weekday": "MO",
                    "assignees": ["resto"],
                },
            )
            assert wrong.status_code == 422
            assert 'id="item-start-error"' in wrong.text
            assert 'aria-describedby="item-start-error"' in wrong.text
            assert "2028" in text_of(wrong.text)

            saved = await browser.post(
                f"{PLAN_PAGE}/items/veille",
                data={
                    "csrf": csrf,
                    "kind": "regulatory_watch_review",
                    "title": "Revue de veille",
                    "start": "2027-04-05",
                    "start_time": "09:30",
                    "repeat": "monthly_weekday",
                    "nth": "1",
                    "weekday": "MO",
                    "count": "3",
                    "assignees": ["resto"],
                },
            )
            assert saved.headers["location"] == f"{PLAN_PAGE}?saved=4"
            edited = await browser.get(saved.headers["location"])
            words = text_of(edited.text)
            assert "Nouvelle version 4 enregistrée." in words
            assert "Ce qui a changé par rapport à la version 3" in words
            assert "récurrence : FREQ=MONTHLY;COUNT=2 → FREQ=MONTHLY;BYDAY=1MO;COUNT=3" in words
            assert "responsables : resto, nett → resto" in words
            assert "le premier lundi de chaque mois à 9 h 30, trois fois au total" in words
            # first Mondays of April, May and June 2027
            assert "lundi 5 avril 2027, 9 h 30 Revue de veille" in words
            assert "lundi 3 mai 2027, 9 h 30 Revue de veille" in words
            assert "lundi 7 juin 2027, 9 h 30 Revue de veille" in words

            added = await browser.post(
                f"{PLAN_PAGE}/items",
                data={
                    "csrf": csrf,
                    "kind": "training_session",
                    "title": "Formation saisonnalité",
                    "start": "2027-03-16",
                    "start_time": "14:00",
                    "duration": "180",
                    "location": "Arras",
                    "assignees": ["qdd"],
                    "attendees": ["resto", "nett"],
                    "reminders": "custom",
                    "before_days": "14, 3",
                },
            )
            assert added.headers["location"] == f"{PLAN_PAGE}?saved=5"
        with sessions() as session:
            latest = session.exec(select(PlanVersion).where(PlanVersion.version == 5)).one()
            items = {item["id"]: item for item in latest.document["plans"][0]["items"]}
    assert items["formation-saisonnalite"] == {
        "id": "formation-saisonnalite",
        "kind": "training_session",
        "title": "Formation saisonnalité",
        "start": "2027-03-16T14:00",
        "duration": "PT3H",
        "location": "Arras",
        "assignees": ["qdd"],
        "attendees": ["resto", "nett"],
        "reminders": {"before": ["P14D", "P3D"], "overdue": []},
    }


async def test_a_workbook_s_error_is_shown_at_its_sheet_and_cell(tmp_path: Path) -> None:
    sessions = store_with(plan_with(ITEMS), tmp_path)
    workbook = openpyxl.load_workbook(io.BytesIO(write_plan_workbook(plan_with(ITEMS), "xlsx")))
    assert workbook["Actions"]["C4"].value == "bilan"
    workbook["Actions"]["F4"] = "zoe"  # Bilan des menus given to nobody Boucle knows
    edited = io.BytesIO()
    workbook.save(edited)
    settings = Settings(data_dir=tmp_path, secret_key=SECRET, temporal_address=NO_ENGINE)
    app = create_app(settings, sessions=sessions)
    async with app.router.lifespan_context(app), client(app) as browser:
        signed_in(browser, sessions, "qdd")
        shown = await browser.get(PLAN_PAGE)
        refused = await browser.post(
            f"{PLAN_PAGE}/upload",
            data={"csrf": hidden(shown, "csrf")},
            files={"file": ("plan.xlsx", edited.getvalue())},
        )
    assert refused.status_code == 422
    assert "Actions!F4 · Responsables : personne « zoe » inconnue (absente de people)" in text_of(
        refused.text
    )
    with sessions() as session:
        assert len(session.exec(select(PlanVersion)).all()) == 1  # nothing stored
