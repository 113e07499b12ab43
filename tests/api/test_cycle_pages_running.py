"""The officer runs the year from the cycle's page: amendments through the forms reach the
cycle's workflow and the store, and the people concerned read the reason in their email."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import icalendar
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from services.plans import approve_plan, import_plans, submit_plan
from services.settings import Settings
from store.database import SessionFactory
from store.tables import PlanVersion, Task
from tests.api.test_api import client
from tests.api.test_plan_pages import SECRET, hidden, signed_in
from tests.engine.support import RecordingMailer, running_worker, store_with
from tests.plans import plan_with

CYCLE = "/app/cycles/restauration/2027"
PARIS = ZoneInfo("Europe/Paris")
# A monthly training Claire gives Paul and Nadia (1st Thursday: 4 March, 1 April, 6 May 2027,
# Ascension, so held on the 7th), a monthly review Paul runs (1st Monday: 1 February, 1 March,
# 5 April), and an action.
ITEMS = """
    - {id: formation, kind: training_session, title: Formation saisonnalité,
       start: "2027-03-04T14:00", rrule: "FREQ=MONTHLY;COUNT=3;BYDAY=1TH", duration: PT2H,
       location: Arras, assignees: [qdd], attendees: [resto, nett]}
    - {id: veille, kind: action, title: Revue de veille, assignees: [resto],
       start: "2027-02-01T09:30", rrule: "FREQ=MONTHLY;COUNT=3;BYDAY=1MO"}
    - {id: pub, kind: action, title: Publier le marché bio, assignees: [resto], due: "2027-02-15"}
"""


def body(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


async def arrived(
    mailer: RecordingMailer, what: str, match: Callable[[EmailMessage], bool]
) -> list[EmailMessage]:
    for _ in range(400):
        found = [mail for mail in mailer.sent if match(mail)]
        if found:
            await asyncio.sleep(0.2)  # the other recipients' copies, sent in the same batch
            return [mail for mail in mailer.sent if match(mail)]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {what}: {[str(m['Subject']) for m in mailer.sent]}")


def tasks_text(sessions: SessionFactory) -> str:
    with sessions() as session:
        return "".join(f">{t.title}<" for t in session.exec(select(Task)))


def tasks_of(sessions: SessionFactory, item: str) -> list[Task]:
    with sessions() as session:
        return list(session.exec(select(Task).where(Task.item == item).order_by(col(Task.due_at))))


async def amend(
    browser: httpx.AsyncClient, task: str, action: str, **fields: str | list[str]
) -> httpx.Response:
    data = {
        "csrf": hidden(await browser.get(CYCLE), "csrf"),
        "nonce": f"{action}-{task}",
        "task": task,
        "action": action,
        **fields,
    }
    return await browser.post(f"{CYCLE}/amend", data=data)


async def test_the_officer_amends_the_running_year_from_the_cycle_page(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document = plan_with(ITEMS)
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
                if len(tasks_of(sessions, "formation")) == 3:
                    break
                await asyncio.sleep(0.05)
            april = "restauration/2027/formation/2027-04-01"
            assert [t.id for t in tasks_of(sessions, "formation")] == [
                "restauration/2027/formation/2027-03-04",
                april,
                "restauration/2027/formation/2027-05-06",
            ]

            signed_in(browser, sessions, "resto")
            assert (await browser.get(f"{CYCLE}/amend", params={"task": april})).status_code == 403
            refused = await browser.post(
                f"{CYCLE}/amend", data={"task": april, "action": "cancel_task", "reason": "x"}
            )
            assert refused.status_code == 403
            shown = await browser.get(CYCLE)
            assert "Modifier" not in shown.text and "Demandes de report" not in shown.text

            signed_in(browser, sessions, "qdd")
            page = await browser.get(CYCLE)
            assert f'href="{CYCLE}/amend?task=restauration/2027/formation/2027-04-01"' in (
                page.text.replace("%2F", "/")
            )
            form = await browser.get(f"{CYCLE}/amend", params={"task": april})
            assert "Modifier « Formation saisonnalité »" in form.text
            assert 'value="2027-04-01"' in form.text and 'value="14:00"' in form.text

            # Without a reason, nothing is sent: the field says why.
            no_reason = await amend(browser, april, "cancel_task", reason="  ")
            assert no_reason.status_code == 422
            assert 'id="cancel_task-reason-error"' in no_reason.text
            assert "Dites pourquoi" in no_reason.text
            # A form not served by Boucle changes nothing.
            forged = await browser.post(
                f"{CYCLE}/amend",
                data={"csrf": "forged", "task": april, "action": "cancel_task", "reason": "x"},
            )
            assert forged.status_code == 303 and "error=form_expired" in forged.headers["location"]

            cancelled = await amend(
                browser, april, "cancel_task", reason="La salle d'Arras est en travaux en avril"
            )
            assert cancelled.status_code == 303, cancelled.text
            assert cancelled.headers["location"] == f"{CYCLE}?done=cancel_task"
            after = await browser.get(cancelled.headers["location"])
            assert "Occurrence annulée : les personnes concernées sont prévenues." in after.text
            assert [t.status for t in tasks_of(sessions, "formation")] == [
                "open",
                "cancelled",
                "open",
            ]
            # The same occurrence again: the workflow refuses, the form says why.
            again = await amend(browser, april, "cancel_task", reason="encore")
            assert again.status_code == 409
            assert "Cette occurrence est close (annulée) : elle ne se modifie plus." in again.text

            march = "restauration/2027/veille/2027-03-01"
            reassigned = await amend(
                browser,
                march,
                "reassign",
                assignees=["nett"],
                reason="Paul part en formation longue",
            )
            assert reassigned.headers["location"] == f"{CYCLE}?done=reassign"
            assert [t.assignees for t in tasks_of(sessions, "veille")] == [["nett"]] * 3

            # An item added, in two steps: the reason, then the plan page's item form.
            step_one = await browser.get(f"{CYCLE}/items/new")
            assert "Pourquoi ajouter un élément ?" in step_one.text
            reason = "Un nouveau marché de fruits locaux s'ouvre en mai"
            step_two = await browser.get(f"{CYCLE}/items/new", params={"reason": reason})
            assert f"Motif : « {reason} »".replace("'", "&#39;") in step_two.text
            item: dict[str, str] = {
                "csrf": hidden(step_two, "csrf"),
                "nonce": hidden(step_two, "nonce"),
                "reason": reason,
                "kind": "action",
                "title": "Sourcing local",
                "due": "2028-05-03",
                "assignees": "nett",
                "repeat": "none",
                "reminders": "default",
            }
            next_year = await browser.post(f"{CYCLE}/items", data=item)
            assert next_year.status_code == 422, next_year.headers
            assert 'id="add-due-error"' in next_year.text  # the error at its field
            assert ">Sourcing local<" not in tasks_text(sessions)
            added = await browser.post(f"{CYCLE}/items", data={**item, "due": "2027-05-03"})
            assert added.headers["location"] == f"{CYCLE}?done=add_item", added.text
            (sourcing,) = tasks_of(sessions, "sourcing-local")
            assert sourcing.assignees == ["nett"]
            assert sourcing.due_at.isoformat() == "2027-05-03T15:00:00+00:00"  # 17:00 in Paris

            moved = await amend(
                browser,
                "restauration/2027/pub/2027-02-15",
                "reschedule",
                day="2027-02-22",
                time="11:00",
                reason="La plateforme régionale ouvre le 22",
            )
            assert moved.headers["location"] == f"{CYCLE}?done=reschedule"
            (pub,) = tasks_of(sessions, "pub")
            assert pub.due_at.isoformat() == "2027-02-22T10:00:00+00:00"

            holiday = await amend(
                browser,
                "restauration/2027/formation/2027-05-06",
                "reschedule",
                day="2027-05-17",  # Whit Monday
                time="14:00",
                reason="Après le pont",
            )
            assert holiday.status_code == 422
            assert "Modification refusée : le 2027-05-17 n&#39;est pas un jour ouvré" in (
                holiday.text
            )
            assert ">Après le pont</textarea>" in holiday.text  # what was typed stays

            whole_item = await amend(
                browser,
                "restauration/2027/formation/2027-05-06",
                "cancel_item",
                reason="Le formateur n'est plus disponible cette année",
            )
            assert whole_item.headers["location"] == f"{CYCLE}?done=cancel_item"
            assert [t.status for t in tasks_of(sessions, "formation")] == [
                "cancelled",
                "cancelled",
                "cancelled",
            ]
            with sessions() as session:
                versions = session.exec(
                    select(PlanVersion).order_by(col(PlanVersion.version))
                ).all()
            # The plan in force is the amended one: Nadia runs the review.
            assert (versions[-1].origin, versions[-1].status) == ("amendment", "approved")
            (veille,) = [
                i for i in versions[-1].document["plans"][0]["items"] if i["id"] == "veille"
            ]
            assert veille["assignees"] == ["nett"]

        await arrived(mailer, "the last amendment's notices", lambda m: "formateur" in body(m))
        await asyncio.sleep(1)  # the batch's other messages

    def sent(subject: str, to: str) -> EmailMessage:
        found = [m for m in mailer.sent if m["Subject"] == subject and to in str(m["To"])]
        assert len(found) == 1, (subject, to, [str(m["Subject"]) for m in mailer.sent])
        return found[0]

    april_cancelled = "Annulé : Formation saisonnalité — jeudi 1er avril 2027 à 14 h"
    for address in ("claire.martin", "paul.durand", "nadia.benali"):
        mail = sent(april_cancelled, address)
        assert "Cet événement est annulé (La salle d'Arras est en travaux en avril)" in body(mail)
        (event,) = calendar_events(mail)
        assert event["method"] == "CANCEL" and event["status"] == "CANCELLED"
        assert event["uid"] == "restauration/2027/formation@boucle"
        assert event["recurrence-id"] == datetime(2027, 4, 1, 14, tzinfo=PARIS)
        assert "rrule" not in event  # that occurrence only, not the series
    amended = "Plan 2027 modifié : Restauration"
    nadia = [body(m) for m in mailer.sent if m["Subject"] == amended and "nadia" in str(m["To"])]
    paul = [body(m) for m in mailer.sent if m["Subject"] == amended and "paul" in str(m["To"])]
    assert any(
        "Claire Martin a modifié le plan 2027 « Restauration » (Paul part en formation longue)"
        in text
        and "vous est désormais confié : Revue de veille (3 occurrences, la prochaine le lundi "
        "1er février 2027 à 9 h 30)"
        in text
        for text in nadia
    ), nadia
    assert any(
        "(Paul part en formation longue)" in text
        and "ne vous est plus confié : Revue de veille (3 occurrences à venir)" in text
        for text in paul
    ), paul
    assert any(
        "(La plateforme régionale ouvre le 22)" in text
        and "déplacé : Publier le marché bio, du lundi 15 février 2027 à 17 h au lundi 22 "
        "février 2027 à 11 h"
        in text
        for text in paul
    ), paul
    assert any(
        f"({reason})" in text
        and "nouveau : Sourcing local (1 occurrence, la première le lundi 3 mai 2027 à 17 h)"
        in text
        for text in nadia
    ), nadia
    for texts in (paul, nadia):
        assert any(
            "(Le formateur n'est plus disponible cette année)" in text
            and "annulé : Formation saisonnalité (2 occurrences)" in text
            for text in texts
        ), texts
    may = sent("Annulé : Formation saisonnalité — vendredi 7 mai 2027 à 14 h", "nadia.benali")
    (event,) = calendar_events(may)
    # Its identity stays the planned day (6 May, Ascension), though it was held on the 7th.
    assert event["recurrence-id"] == datetime(2027, 5, 6, 14, tzinfo=PARIS)


def calendar_events(mail: EmailMessage) -> list[dict[str, object]]:
    """Each VEVENT of the message's invitation, with its calendar's METHOD."""
    (part,) = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    return [
        {
            "method": str(calendar["method"]),
            "status": str(event["status"]),
            "uid": str(event["uid"]),
            "recurrence-id": event["recurrence-id"].dt if "recurrence-id" in event else None,
            **({"rrule": event["rrule"]} if "rrule" in event else {}),
        }
        for event in calendar.walk("VEVENT")
    ]
