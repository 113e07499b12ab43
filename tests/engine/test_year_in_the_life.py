"""A département's year lived through the API, on the time-skipping server.

The officer (Claire Martin, qdd) plans and amends, two buyers (Paul Durand, resto; Nadia
Benali, nett) act from their tasks, the direction (Anne Leroy, dgs) approves. After each step
the test states, written out by hand, what each person has received (type, local time, the
facts in the text) and what the API answers for the tasks. Every date below was worked out
from the calendar by hand: 2030 in Paris, public holidays of France (1 January, Easter Monday
22 April, Ascension 30 May, Whit Monday 10 June, Toussaint 1 November), summer time from
31 March.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import select
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from api.main import create_app
from domain.validation import load_plan
from services.settings import Settings
from services.tokens import create_token
from store.tables import Cycle, Notification, PlanVersion
from tests.engine.support import RecordingMailer, running_worker, save_histories, store_with
from tests.plans import plan_text
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import CycleInput, Phase, cycle_workflow_id

PARIS = ZoneInfo("Europe/Paris")
ITEMS = """
    - {id: groupe-travail, kind: action, title: Groupe de travail menus de saison,
       start: "2030-01-03T10:00", rrule: "FREQ=MONTHLY;BYDAY=1TH;COUNT=6", assignees: [resto],
       reminders: {before: [P2D], on_due: false, overdue: [P3D], escalate_after: null}}
    - {id: formation, kind: training_session, title: Formation achats responsables,
       start: "2030-03-12T14:00", rrule: "FREQ=WEEKLY;COUNT=3", duration: PT2H,
       location: Arras — salle 204, assignees: [qdd], attendees: [resto, nett],
       reminders: {before: [P1D], on_due: false}}
    - {id: point-bio, kind: indicator_checkpoint, title: Point d'étape bio,
       start: "2030-03-29T17:00", indicators: [part-bio], assignees: [resto],
       reminders: {before: [P3D], on_due: false, overdue: [P2D], escalate_after: null}}
    - {id: publicite, kind: action, title: Publier le marché bio, due: "2030-02-15",
       assignees: [resto]}
    - {id: clause, kind: action, title: Rédiger la clause d'insertion, due: "2030-04-15",
       assignees: [nett],
       reminders: {before: [P7D], on_due: false, overdue: [P3D], escalate_after: P7D}}
    - {id: charte, kind: action, title: Signer la charte fournisseurs, due: "2030-05-20",
       assignees: [resto],
       reminders: {before: [P1D], on_due: false, overdue: [P3D], escalate_after: P10D}}
"""


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def task(item: str, day: str) -> str:
    return f"restauration/2030/{item}/{day}"


class Year:
    """The year as its people see it: their mailboxes, and the API with each one's token."""

    def __init__(self, env: WorkflowEnvironment, sessions: Any, mailer: RecordingMailer, app):  # noqa: ANN001
        self.env = env
        self.sessions = sessions
        self.mailer = mailer
        self.app = app
        self.rows_seen: set[str] = set()
        self.mails_seen = 0
        with sessions() as session:
            self.tokens = {p: create_token(session, p) for p in ("qdd", "resto", "nett", "dgs")}

    def api(self, person: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://boucle.test",
            headers={"Authorization": f"Bearer {self.tokens[person]}"},
        )

    async def at(self, text: str) -> None:
        """Let the year run until this local time."""
        now = await self.env.get_current_time()
        moment = local(text)
        assert moment > now, f"{text} is already past"
        await self.env.sleep(moment - now)

    def notices(self) -> list[tuple[str, str, str, str]]:
        """The notices recorded since last asked: (local time, type, item, person).

        An occurrence carried by its series' invitation email counts as its own invitation.
        """
        with self.sessions() as session:
            rows = session.exec(select(Notification).order_by(Notification.id)).all()
        fresh = []
        for row in rows:
            if row.key in self.rows_seen or row.status not in ("sent", "grouped"):
                continue
            self.rows_seen.add(row.key)
            if "|series-invitation|" in row.key:
                continue
            when = row.scheduled_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
            item = row.task_id.split("/")[2] if row.task_id else ""
            fresh.append((when, row.type, item, row.person_id))
        return sorted(fresh)

    def mails(self) -> list[tuple[str, str]]:
        """The emails delivered since last asked: (recipient, subject)."""
        fresh = self.mailer.sent[self.mails_seen :]
        self.mails_seen = len(self.mailer.sent)
        return sorted((m["To"].addresses[0].username, str(m["Subject"])) for m in fresh)

    def last_text(self, person: str) -> str:
        message = next(
            m for m in reversed(self.mailer.sent) if m["To"].addresses[0].username == person
        )
        return str(message.get_body(("plain",)).get_content())

    async def statuses(self, person: str) -> dict[str, str]:
        async with self.api(person) as http:
            answer = await http.get("/cycles/restauration/2030")
        assert answer.status_code == 200, answer.text
        return {t["id"].split("/", 2)[2]: t["status"] for t in answer.json()["tasks"]}


async def post(year: Year, person: str, path: str, **body: Any) -> dict[str, Any]:
    async with year.api(person) as http:
        answer = await http.post(path, json=body)
    assert answer.status_code == 200, (path, answer.status_code, answer.text)
    return answer.json()  # type: ignore[no-any-return]


async def cycle_is_healthy(client: Client, year: int) -> None:
    description = await client.get_workflow_handle(
        cycle_workflow_id("restauration", year)
    ).describe()
    assert description.status in (
        WorkflowExecutionStatus.RUNNING,
        WorkflowExecutionStatus.COMPLETED,
        WorkflowExecutionStatus.CONTINUED_AS_NEW,
    ), description.status


async def test_a_year_in_the_life_of_a_departement(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    text = plan_text(ITEMS).replace(
        "    year: 2027\n", '    year: 2030\n    approve_by: "2029-12-17T10:30"\n'
    )
    document = load_plan(text)
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    app = create_app(Settings(data_dir=tmp_path), temporal=env.client, sessions=sessions)
    async with (
        running_worker(env.client, sessions, mailer) as queue,
        app.router.lifespan_context(app),
    ):
        year = Year(env, sessions, mailer, app)
        await year.at("2029-12-02T09:00")  # the officer opens the year's cycle
        await env.client.start_workflow(
            PortfolioCycleWorkflow.run,
            CycleInput(
                portfolio="restauration",
                year=2030,
                document=document,
                plan_version=1,
                holidays=cycle_holidays(document.organisation, 2030),
                search_attributes=False,
            ),
            id=cycle_workflow_id("restauration", 2030),
            task_queue=queue,
        )

        # Planning: the officer is reminded 14 and 7 days before the deadline (Monday 17
        # December, 10:30), submits on the 11th; the direction is asked then, reminded on
        # Friday the 14th (3 days before) and on the day, approves at 10:30.
        await year.at("2029-12-11T10:00")
        await post(year, "qdd", "/plans/restauration/2030/submit")
        await year.at("2029-12-17T10:30")
        approved = await post(year, "dgs", "/plans/restauration/2030/approve")
        assert approved["approved_by"] == "dgs"
        await year.at("2029-12-17T12:00")
        assert year.notices() == [
            ("2029-12-03 09:00", "plan_submit_request", "", "qdd"),
            ("2029-12-10 09:00", "plan_submit_request", "", "qdd"),
            ("2029-12-11 10:00", "plan_approval_request", "", "dgs"),
            ("2029-12-14 09:00", "plan_approval_request", "", "dgs"),
            ("2029-12-17 09:00", "plan_approval_request", "", "dgs"),
            ("2029-12-17 10:30", "invitation", "formation", "nett"),
            ("2029-12-17 10:30", "invitation", "formation", "nett"),
            ("2029-12-17 10:30", "invitation", "formation", "nett"),
            ("2029-12-17 10:30", "invitation", "formation", "qdd"),
            ("2029-12-17 10:30", "invitation", "formation", "qdd"),
            ("2029-12-17 10:30", "invitation", "formation", "qdd"),
            ("2029-12-17 10:30", "invitation", "formation", "resto"),
            ("2029-12-17 10:30", "invitation", "formation", "resto"),
            ("2029-12-17 10:30", "invitation", "formation", "resto"),
            ("2029-12-17 10:30", "plan_approved", "", "qdd"),
            ("2029-12-17 10:30", "plan_approved", "", "resto"),
        ]
        asking = next(m for m in mailer.sent if "à approuver" in str(m["Subject"]))
        assert "6 éléments, 13 occurrences prévues" in asking.get_body(("plain",)).get_content()
        approved_mail = next(m for m in mailer.sent if "approuvé" in str(m["Subject"]))
        assert (
            "selon le calendrier (13 occurrences)"
            in approved_mail.get_body(("plain",)).get_content()
        )
        # The three weekly trainings are one calendar series: one email for each person.
        invitations = [s for _, s in year.mails() if s.startswith("Invitation")]
        assert (
            invitations
            == [
                "Invitation : Formation achats responsables — chaque semaine le mardi à 14 h, "
                "à partir du mardi 12 mars 2030"
            ]
            * 3
        )

        # 3 January is a Thursday; its reminder (2 days before) would fall on New Year's Day
        # and goes out on Monday 31 December. Paul completes it late, after Monday's overdue.
        await year.at("2030-01-07T14:00")
        assert year.notices() == [
            ("2029-12-31 09:00", "reminder", "groupe-travail", "resto"),
            ("2030-01-07 09:00", "overdue", "groupe-travail", "resto"),
        ]
        assert year.mails() == [
            (
                "paul.durand",
                "En retard : Groupe de travail menus de saison (échéance jeudi 3 janvier 2030)",
            ),
            ("paul.durand", "Rappel : Groupe de travail menus de saison — jeudi 3 janvier 2030"),
        ]
        done = await post(
            year, "resto", f"/tasks/{task('groupe-travail', '2030-01-03')}/complete", comment="fait"
        )
        assert done["status"] == "done" and done["done_by"] == "resto"

        # He does February's session early, on 21 January, before it has sent anything.
        await year.at("2030-01-21T10:00")
        early = await post(
            year,
            "resto",
            f"/tasks/{task('groupe-travail', '2030-02-07')}/complete",
            comment="avancé",
        )
        assert early["status"] == "done"

        # Publicity: reminders 7 days and 1 day before, the due-day notice, then done at 11:00.
        await year.at("2030-02-12T10:00")
        # The officer hands the recurring action to Nadia: two sessions are done, four remain.
        await post(
            year,
            "qdd",
            "/plans/restauration/2030/amend",
            reassign_items={"groupe-travail": ["nett"]},
            reason="réorganisation du service",
        )
        await year.at("2030-02-15T11:00")
        await post(year, "resto", f"/tasks/{task('publicite', '2030-02-15')}/complete")
        assert year.notices() == [
            ("2030-02-08 09:00", "reminder", "publicite", "resto"),
            ("2030-02-12 10:00", "plan_amended", "", "nett"),
            ("2030-02-12 10:00", "plan_amended", "", "resto"),
            ("2030-02-14 09:00", "reminder", "publicite", "resto"),
            ("2030-02-15 09:00", "due", "publicite", "resto"),
        ]  # nothing for 5 February nor an overdue on the 11th: that session was done early
        mails = year.mails()
        assert ("nadia.benali", "Plan 2030 modifié : Restauration") in mails
        assert ("paul.durand", "Plan 2030 modifié : Restauration") in mails
        paul = next(
            m
            for m in mailer.sent
            if m["To"].addresses[0].username == "paul.durand" and "modifié" in str(m["Subject"])
        )
        text = str(paul.get_body(("plain",)).get_content())
        assert (
            "Claire Martin a modifié le plan 2030 « Restauration » (réorganisation du service)"
            in text
        )
        assert (
            "ne vous est plus confié : Groupe de travail menus de saison (4 occurrences à venir)"
            in text
        )
        nadia = next(
            m
            for m in mailer.sent
            if m["To"].addresses[0].username == "nadia.benali" and "modifié" in str(m["Subject"])
        )
        text = str(nadia.get_body(("plain",)).get_content())
        assert (
            "vous est désormais confié : Groupe de travail menus de saison (4 occurrences, "
            "la prochaine le jeudi 7 mars 2030 à 10 h)"
        ) in text
        assert await year.statuses("qdd") == {
            "groupe-travail/2030-01-03": "done",
            "groupe-travail/2030-02-07": "done",
            "publicite/2030-02-15": "done",
            "groupe-travail/2030-03-07": "open",
            "formation/2030-03-12": "open",
            "formation/2030-03-19": "open",
            "formation/2030-03-26": "open",
            "point-bio/2030-03-29": "open",
            "groupe-travail/2030-04-04": "open",
            "clause/2030-04-15": "open",
            "groupe-travail/2030-05-02": "open",
            "charte/2030-05-20": "open",
            "groupe-travail/2030-06-06": "open",
        }
        async with year.api("resto") as http:  # the session is no longer on Paul's list
            mine = (await http.get("/me/tasks", params={"status": "open"})).json()
        assert [t["item"] for t in mine] == ["formation"] * 3 + ["point-bio", "charte"]

        # March: Nadia's reminder for the 7th, done that day; the weekly trainings (reminders
        # the Monday before, to the trainer and both attendees), each marked held by Claire.
        await year.at("2030-03-07T12:00")
        await post(year, "nett", f"/tasks/{task('groupe-travail', '2030-03-07')}/complete")
        for day in ("12", "19", "26"):
            await year.at(f"2030-03-{day}T17:00")
            await post(year, "qdd", f"/tasks/{task('formation', f'2030-03-{day}')}/complete")
        # The checkpoint asks Paul for the organic share on Tuesday 26th (3 days before 29th).
        await year.at("2030-03-28T10:00")
        values = await post(
            year,
            "resto",
            f"/tasks/{task('point-bio', '2030-03-29')}/values",
            values={"part-bio": 17.5},
        )
        assert values["status"] == "done"
        assert year.notices() == [
            ("2030-03-05 09:00", "reminder", "groupe-travail", "nett"),
            ("2030-03-11 09:00", "reminder", "formation", "nett"),
            ("2030-03-11 09:00", "reminder", "formation", "qdd"),
            ("2030-03-11 09:00", "reminder", "formation", "resto"),
            ("2030-03-18 09:00", "reminder", "formation", "nett"),
            ("2030-03-18 09:00", "reminder", "formation", "qdd"),
            ("2030-03-18 09:00", "reminder", "formation", "resto"),
            ("2030-03-25 09:00", "reminder", "formation", "nett"),
            ("2030-03-25 09:00", "reminder", "formation", "qdd"),
            ("2030-03-25 09:00", "reminder", "formation", "resto"),
            ("2030-03-26 09:00", "checkpoint", "point-bio", "resto"),
        ]
        mails = year.mails()
        assert (
            "nadia.benali",
            "Rappel : Groupe de travail menus de saison — jeudi 7 mars 2030",
        ) in mails
        assert ("paul.durand", "Valeurs d'indicateurs à saisir : Point d'étape bio") in mails

        # April (summer time): Nadia's reminder on the 2nd, then nothing done: overdue on
        # Monday the 8th, with the clause's reminder. She asks to move the clause to 29 April;
        # Claire agrees the next morning: its reminder moves to Friday 19th (Monday 22nd is
        # Easter Monday), and she finishes it on the 26th.
        await year.at("2030-04-08T11:00")
        clause = task("clause", "2030-04-15")
        await post(
            year,
            "nett",
            f"/tasks/{clause}/reschedule-request",
            due="2030-04-29T17:00:00+02:00",
            reason="attente de l'avis juridique",
        )
        await year.at("2030-04-09T10:00")
        moved = await post(year, "qdd", f"/tasks/{clause}/reschedule-decision", approve=True)
        assert moved["due"] == "2030-04-29T15:00:00Z"
        assert year.notices() == [
            ("2030-04-02 09:00", "reminder", "groupe-travail", "nett"),
            ("2030-04-08 09:00", "overdue", "groupe-travail", "nett"),
            ("2030-04-08 09:00", "reminder", "clause", "nett"),
            ("2030-04-08 11:00", "reschedule_requested", "clause", "qdd"),
            ("2030-04-09 10:00", "reschedule_approved", "clause", "nett"),
            ("2030-04-09 10:00", "task_updated", "clause", "nett"),
        ]
        assert "attente de l'avis juridique" in year.last_text("claire.martin")
        # Moved by a person: Nadia's emails give the new date, and call it no holiday shift.
        to_nadia = [
            str(m.get_body(("plain",)).get_content())
            for m in mailer.sent[-3:]
            if m["To"].addresses[0].username == "nadia.benali"
        ]
        assert len(to_nadia) == 2 and all("lundi 29 avril 2030" in text for text in to_nadia)
        assert not any("jour non ouvré" in text for text in to_nadia)

        # Claire cancels the recurring action: April's session (overdue) and the two to come
        # are cancelled; the three done stay done. Nadia hears it once.
        await year.at("2030-04-23T10:00")
        await post(
            year,
            "qdd",
            "/plans/restauration/2030/amend",
            cancel_items=["groupe-travail"],
            reason="remplacé par la commission menus",
        )
        await year.at("2030-04-26T15:00")
        await post(year, "nett", f"/tasks/{clause}/complete")
        assert year.notices() == [
            ("2030-04-19 09:00", "reminder", "clause", "nett"),
            ("2030-04-23 10:00", "plan_amended", "", "nett"),
        ]
        year.mails()
        assert "annulé : Groupe de travail menus de saison (3 occurrences)" in year.last_text(
            "nadia.benali"
        )

        # The charter is never signed: reminder on Friday 17 May, overdue on Thursday 23rd,
        # escalation to Claire on Friday 31st (Thursday 30th is Ascension); missed once its
        # close time passes, 60 days after the escalation.
        await year.at("2030-07-31T09:00")
        assert year.notices() == [
            ("2030-05-17 09:00", "reminder", "charte", "resto"),
            ("2030-05-23 09:00", "overdue", "charte", "resto"),
            ("2030-05-31 09:00", "escalation", "charte", "qdd"),
        ]
        assert (
            "claire.martin",
            "Escalade : Signer la charte fournisseurs en retard de 11 jours",
        ) in year.mails()
        assert await year.statuses("qdd") == {
            "groupe-travail/2030-01-03": "done",
            "groupe-travail/2030-02-07": "done",
            "publicite/2030-02-15": "done",
            "groupe-travail/2030-03-07": "done",
            "formation/2030-03-12": "done",
            "formation/2030-03-19": "done",
            "formation/2030-03-26": "done",
            "point-bio/2030-03-29": "done",
            "groupe-travail/2030-04-04": "cancelled",
            "clause/2030-04-15": "done",  # its id keeps its first date
            "groupe-travail/2030-05-02": "cancelled",
            "charte/2030-05-20": "missed",
            "groupe-travail/2030-06-06": "cancelled",
        }
        await cycle_is_healthy(env.client, 2030)

        # Evaluation: 1 November is Toussaint, so it opens Monday 4th at 09:00. Every value is
        # in: the scorecard goes to Claire and Anne, and Claire is asked for the review.
        await year.at("2030-11-08T10:00")
        assert year.notices() == [
            ("2030-11-04 09:00", "evaluation_ready", "", "dgs"),
            ("2030-11-04 09:00", "evaluation_ready", "", "qdd"),
            ("2030-11-04 09:00", "review_request", "", "qdd"),
        ]
        async with year.api("dgs") as http:
            card = (await http.get("/cycles/restauration/2030/scorecard")).json()
        counts = {k: card["tasks"][k] for k in ("total", "done_on_time", "done_late", "missed")}
        assert counts == {"total": 13, "done_on_time": 8, "done_late": 1, "missed": 1}
        assert card["tasks"]["cancelled"] == 3
        # The reassignment made version 2 (cancelling changes no item): the cycle's row still
        # says so after evaluation opened, and its detail shows that version's plan.
        with sessions() as session:
            row = session.get(Cycle, "restauration/2030")
            assert row is not None and row.plan_version == 2
        async with year.api("qdd") as http:
            assert (await http.get("/cycles/restauration/2030")).json()["plan_version"] == 2
        (bio,) = card["indicators"]
        assert (bio["indicator"], bio["value"], bio["status"]) == ("part-bio", 17.5, "at_risk")
        year.mails()
        review = await post(
            year,
            "qdd",
            "/cycles/restauration/2030/review",
            lessons="La commission menus fonctionne mieux que le groupe de travail.",
            decisions=["Faire signer la charte lors de la rencontre fournisseurs"],
        )
        assert review["review_recorded"] is True
        await year.at("2030-11-08T11:00")
        assert year.notices() == [("2030-11-08 10:00", "draft_ready", "", "qdd")]
        assert year.mails() == [("claire.martin", "Projet de plan 2031 prêt : Restauration")]

        # Next year's draft: the training and the checkpoint roll forward, the unsigned
        # charter is carried over, the review's decision becomes an action; the cancelled
        # recurring action does not come back.
        with sessions() as session:
            draft = session.exec(select(PlanVersion).where(PlanVersion.year == 2031)).one()
        items = {item["id"]: item for item in draft.document["plans"][0]["items"]}
        assert set(items) == {"formation", "point-bio", "charte", "decision-2030-1"}
        assert items["formation"]["start"] == "2031-03-11T14:00"  # a Tuesday again
        assert items["charte"]["carried_over_from"] == "restauration/2030/charte"
        next_year = env.client.get_workflow_handle(cycle_workflow_id("restauration", 2031))
        view = await next_year.query(PortfolioCycleWorkflow.view)
        assert (view.year, view.phase) == (2031, Phase.planning)
        this_year = env.client.get_workflow_handle(cycle_workflow_id("restauration", 2030))
        assert await this_year.result() == "closed"  # every task has ended
        await save_histories(env.client, cycle_workflow_id("restauration", 2030), "cycle-year")
        for occurrence, name in (
            (task("groupe-travail", "2030-02-07"), "task-done-before-its-start"),
            (task("groupe-travail", "2030-04-04"), "task-cancelled-by-amendment"),
            (task("clause", "2030-04-15"), "task-rescheduled-on-request"),
            (task("charte", "2030-05-20"), "task-missed"),
            (task("formation", "2030-03-19"), "task-series-occurrence"),
        ):
            await save_histories(env.client, f"task:{occurrence}", name)
        await cycle_is_healthy(env.client, 2030)
        await cycle_is_healthy(env.client, 2031)
    assert all(m["Message-ID"] for m in mailer.sent)
