"""A year's emails as the engine writes them: each request shaped as the workflow that sends
it shapes it (the line it mirrors is named), built from a real plan with the domain's own
functions, sent through the worker's activities (composition, outbox, rendering) to a
recording mailer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.calendar import cycle_holidays
from activities.digest import DigestActivities
from activities.notify import NotificationActivities, NotificationConfig
from activities.store import StoreActivities
from activities.watch import WatchActivities
from domain.calendar import WorkingCalendar
from domain.documents import cycle_document
from domain.execution import ExecutedPlan, PlanChanges, amendment_effects, every_task, with_changes
from domain.model import PlanFile
from domain.next_year import Review, next_year_draft
from domain.planning import approval_deadline, planning_notices
from domain.scorecard import IndicatorValuePoint, TaskOutcome, compute_scorecard
from domain.simulation import execution_start
from domain.tasks import Task
from domain.timeline import Notice, NoticeType, task_timeline
from notifications.messages import MessageType
from store.database import SessionFactory
from store.tables import Notification
from tests.engine.support import RecordingMailer, running_cycle, store_with
from workflows.types import PlanNotice, RescheduleProposal, TaskNotice, TaskRow

APP_URL = "https://boucle.example.org"
CONFIG = NotificationConfig(app_url=APP_URL, link_secret="engine-contexts-test-secret")


@dataclass(frozen=True)
class Sent:
    """One email as it left: its type (from the outbox), language, subject and both bodies."""

    type: str
    locale: str
    subject: str
    text: str
    html: str
    to: str


@dataclass
class Year:
    """One portfolio's year of a plan file, and what the engine sent for it."""

    document: PlanFile  # as the cycle holds it (domain.documents.cycle_document)
    calendar: WorkingCalendar
    tasks: list[Task]
    start: datetime  # when the year starts executing
    sent: list[Sent] = field(default_factory=list)

    @property
    def portfolio(self) -> str:
        return self.document.plans[0].portfolio

    @property
    def year(self) -> int:
        return self.document.plans[0].year

    @property
    def cycle_id(self) -> str:
        return f"{self.portfolio}/{self.year}"

    def task(self, item: str) -> Task:
        return next(task for task in self.tasks if task.item == item)

    def schedule(self, task: Task) -> list[Notice]:
        officers = self.document.officers
        return task_timeline(task, self.calendar, officers, self.start)


def the_year(document: PlanFile, portfolio: str, year: int) -> Year:
    plan = next(p for p in document.plans if p.portfolio == portfolio and p.year == year)
    one = cycle_document(document, plan)
    calendar = WorkingCalendar.of(one.organisation, cycle_holidays(one.organisation, year))
    tasks = every_task(ExecutedPlan(document=one), calendar)
    return Year(one, calendar, tasks, execution_start(one, one.plans[0], calendar))


def _owner(year: Year) -> tuple[str, ...]:
    portfolio = next(p for p in year.document.portfolios if p.id == year.portfolio)
    return tuple(p for p in (portfolio.owner, *portfolio.buyers) if p)


def _plan_notice(
    cycle: Year, key: str, message: str, to: tuple[str, ...], at: datetime, **facts: Any
) -> PlanNotice:
    """workflows/cycle_tasks.py `_plan_notice`."""
    return PlanNotice(
        key=f"{cycle.cycle_id}|{key}",
        message=message,
        portfolio=cycle.portfolio,
        year=cycle.year,
        to=to,
        scheduled_at=at,
        facts=dict(facts),
    )


def _task_notice(year: Year, notice: Notice, task: Task, sequence: int = 0) -> TaskNotice:
    """workflows/task.py `_send_notice` (an invitation: workflows/cycle_tasks.py `_invite`)."""
    due_day = task.due.astimezone(year.calendar.zone).date()
    late = (notice.at.astimezone(year.calendar.zone).date() - due_day).days
    return TaskNotice(
        key=notice.key,
        message=notice.type.value,
        task=task,
        to=notice.to,
        scheduled_at=notice.at,
        sequence=sequence,
        overdue_days=max(late, 0)
        if notice.type in (NoticeType.overdue, NoticeType.escalation)
        else 0,
    )


def _tell(
    task: Task,
    message: str,
    to: tuple[str, ...],
    change: str | None,
    at: datetime,
    sequence: int,
    proposal: RescheduleProposal | None = None,
) -> TaskNotice:
    """workflows/task.py `_tell`."""
    return TaskNotice(
        key=f"{task.id}|{message}|{sequence}|{at.isoformat()}",
        message=message,
        task=task,
        to=to,
        scheduled_at=at,
        sequence=sequence,
        change=change,
        proposal=proposal,
    )


def planning(year: Year) -> list[PlanNotice]:
    """workflows/cycle.py `_planning`: the officer asked to submit, the direction to approve,
    everyone told of the approval; the counts are the plan's (the store has no task yet)."""
    document, plan = year.document, year.document.plans[0]
    opened = year.start - timedelta(days=60)
    deadline = approval_deadline(document, plan, year.calendar)
    planned = len(year.tasks)  # the cycle's view: every task of the plan not cancelled
    counts = {"deadline": deadline.isoformat(), "items": len(plan.items), "occurrences": planned}
    submit = planning_notices(document, plan, opened, None, year.calendar)[0]
    submitted = submit.at + timedelta(days=1)
    approval = planning_notices(document, plan, opened, submitted, year.calendar)[0]
    returned = _plan_notice(  # workflows/cycle.py `_returned_notice`
        year,
        "returned|1",
        "plan_returned",
        document.officers,
        submitted + timedelta(hours=3),
        returned_by=document.directors[0],
        comment="Ajoutez une rencontre avec les producteurs locaux.",
        **counts,
    )
    known = {kind.value for kind in MessageType}
    return [
        _plan_notice(year, n.key, n.type.value, n.to, n.at, **counts) for n in (submit, approval)
    ] + [
        *([returned] if returned.message in known else []),
        _plan_notice(
            year,
            "approved",
            "plan_approved",
            tuple(dict.fromkeys((*document.officers, *_owner(year)))),
            submitted + timedelta(days=2),
            approved_by=document.directors[0],
            items=len(plan.items),
            occurrences=planned,
        ),
    ]


def legacy_planning(year: Year) -> list[PlanNotice]:
    """workflows/legacy_cycle.py `_planning`: a cycle begun before 2026-12 gives no counts."""
    document, plan = year.document, year.document.plans[0]
    deadline = approval_deadline(document, plan, year.calendar)
    opened = year.start - timedelta(days=60)
    submit = planning_notices(document, plan, opened, None, year.calendar)[0]
    return [
        _plan_notice(
            year, submit.key, submit.type.value, submit.to, submit.at, deadline=deadline.isoformat()
        ),
        _plan_notice(
            year,
            "approved",
            "plan_approved",
            tuple(dict.fromkeys((*document.officers, *_owner(year)))),
            submit.at + timedelta(days=2),
            approved_by=document.directors[0],
        ),
    ]


def first_notices(year: Year) -> list[TaskNotice]:
    """The first notice of each type the year's tasks send, as their workflows send it."""
    seen: dict[NoticeType, TaskNotice] = {}
    for task in sorted(year.tasks, key=lambda t: t.due):
        for notice in year.schedule(task):
            seen.setdefault(notice.type, _task_notice(year, notice, task))
    return list(seen.values())


def task_changes(year: Year, action: str, event: str) -> list[TaskNotice]:
    """workflows/task.py: a reschedule asked, refused, asked and approved; a reassignment;
    an event moved and cancelled."""
    task, meeting = year.task(action), year.task(event)
    at = task.due - timedelta(days=10)
    asker = task.assignees[0]
    proposal = RescheduleProposal(
        by=asker, due=task.due + timedelta(days=7), reason="le marché est relancé"
    )
    moved = task.model_copy(update={"due": proposal.due, "rescheduled": True})
    officers = year.document.officers
    other = next(p for p in _owner(year) + officers if p not in task.assignees)
    reassigned = moved.model_copy(update={"assignees": (other,)})
    later = meeting.model_copy(update={"due": meeting.due + timedelta(days=1), "rescheduled": True})
    return [
        _tell(
            task,
            "reschedule_requested",
            officers,
            f"{proposal.due.isoformat()}|{proposal.reason}",
            at,
            0,
            proposal,
        ),
        _tell(
            task,
            "reschedule_refused",
            (asker,),
            "le calendrier du marché est fixé",
            at,
            0,
            proposal,
        ),
        _tell(task, "reschedule_approved", (asker,), "accord du service", at, 0, proposal),
        _tell(moved, "task_updated", moved.assignees, "accord du service", at, 1),
        _tell(reassigned, "task_assigned", (other,), "réorganisation", at, 2),
        _tell(reassigned, "task_cancelled", (asker,), "réorganisation", at, 2),
        _tell(later, "invitation_updated", later.people, "salle indisponible", at, 1),
        _tell(later, "invitation_cancelled", later.people, "formateur absent", at, 2),
    ]


def amendment(year: Year, changes: PlanChanges) -> PlanNotice:
    """workflows/cycle_tasks.py `_apply`: one message per person the amendment concerns."""
    now = year.start + timedelta(days=30)
    before = ExecutedPlan(document=year.document)
    effects = amendment_effects(before, with_changes(before, changes, now), year.calendar, set())
    told = {person: effect for person, effect in effects.items() if person != "qdd"}
    return _plan_notice(
        year,
        "amended|amendment-1",
        "plan_amended",
        tuple(told),
        now,
        amended=told,
        amended_by="qdd",
        reason="réorganisation du service",
    )


def outcomes(year: Year, missed: int) -> list[TaskOutcome]:
    """The year's tasks: the first `missed` never done, one done a day late, the rest on time."""
    result = []
    for index, task in enumerate(sorted(year.tasks, key=lambda t: t.due)):
        late = timedelta(days=1) if index == missed else timedelta(0)
        done = None if index < missed else task.due + late
        status = "missed" if done is None else "done"
        result.append(
            TaskOutcome(
                task=task.id, kind=task.kind.value, due=task.due, status=status, done_at=done
            )
        )
    return result


def evaluation(year: Year, store: StoreActivities, missed: int) -> list[PlanNotice]:
    """workflows/cycle.py `_evaluating` and `_improving`: values asked for, the scorecard
    saved, the evaluation and the review told, next year's draft prepared."""
    document = year.document
    now = datetime(year.year, 12, 15, 9, tzinfo=year.calendar.zone)
    indicators = document.indicators
    values = [
        IndicatorValuePoint(
            indicator=i.id, period=f"{year.year}", value=(i.target or 1) * 0.9, recorded_at=now
        )
        for i in indicators[1:]
    ]
    done = outcomes(year, missed)
    card = compute_scorecard(document, year.portfolio, year.year, values, done, now)
    store.save_scorecard(card)
    draft = next_year_draft(
        document, document.plans[0], done, card, Review(lessons="", decisions=[])
    )
    carried = sum(1 for item in draft.plans[0].items if item.carried_over_from)
    return [
        _plan_notice(
            year, "values", "values_request", _owner(year)[:1], now, indicators=[indicators[0].name]
        ),
        _plan_notice(
            year, "evaluation", "evaluation_ready", (*document.officers, *document.directors), now
        ),
        _plan_notice(year, "review|0", "review_request", document.officers, now),
        _plan_notice(
            year,
            "draft",
            "draft_ready",
            document.officers,
            now,
            year=year.year + 1,
            items=len(draft.plans[0].items),
            carried_over=carried,
        ),
    ]


async def beyond_the_cycle(
    year: Year, sessions: SessionFactory, notify: NotificationActivities, mailer: RecordingMailer
) -> None:
    """What is sent outside a cycle's workflow: the weekly digest (activities/digest.py), the
    engine watch (activities/watch.py), a refusal for good (activities/delivery.py), a
    sign-in link (activities/sign_in.py)."""
    middle = sorted(year.tasks, key=lambda t: t.due)[len(year.tasks) // 2]
    week = middle.due.astimezone(year.calendar.zone).date().isocalendar()
    await _run(DigestActivities(sessions, notify).send_digests, f"{week.year}-W{week.week:02d}")
    # Temporal's TemporalReportedProblems, as the watch lists it (see tests/engine).
    problems = [
        "category=WorkflowTaskFailed",
        "cause=WorkflowTaskFailedCauseWorkflowWorkerUnhandledFailure",
    ]
    stuck = [
        (f"task:{middle.id}", "run-1", problems),
        (f"cycle:{year.portfolio}:{year.year}", "run-2", problems),
    ]
    watch = WatchActivities(sessions, notify)
    await notify.delivery.deliver_all(watch._messages(stuck, middle.due))
    mailer.refuse_next, mailer.permanent = 1, True  # the first recipient's server says 550
    reminder = next(n for n in year.schedule(middle) if n.type == NoticeType.reminder)
    bounced = _task_notice(year, reminder, middle)  # its own key: not sent before
    await _run(notify.send_task_notice, bounced.model_copy(update={"key": f"{bounced.key}|550"}))
    mailer.permanent = False
    try:
        from activities.sign_in import SignInActivities
        from workflows.sign_in import SignInInput
    except ImportError:  # not there yet: the test names the type that has no engine context
        return
    for person in _owner(year)[:1] + year.document.officers[:1]:
        request = SignInInput(
            person=person,
            nonce=f"nonce-{person}",
            expires_at=(middle.due + timedelta(minutes=15)).isoformat(),
            next=f"/app/tasks/{middle.id}",
        )
        await _run(SignInActivities(notify).send_sign_in, request)


async def _run(activity: Callable[..., Any], *args: Any) -> Any:
    return await ActivityEnvironment().run(activity, *args)


async def live(
    year: Year,
    folder: Path,
    scenario: Callable[[Year, StoreActivities], Any],
    extra: Callable[..., Any] | None = None,
) -> Year:
    """Send what `scenario` asks (TaskNotice and PlanNotice lists) through the activities."""
    sessions = store_with(year.document, folder)
    with sessions() as session:
        session.add(running_cycle(year.portfolio, year.year))
        session.commit()
    store = StoreActivities(sessions)
    store.project_planned_tasks([TaskRow(task=task, cycle_id=year.cycle_id) for task in year.tasks])
    mailer = RecordingMailer()
    notify = NotificationActivities(sessions, mailer, CONFIG)
    for notice in scenario(year, store):
        if isinstance(notice, TaskNotice):
            await _run(notify.send_task_notice, notice)
        else:
            await _run(notify.send_plan_notice, notice)
    if extra is not None:
        await extra(year, sessions, notify, mailer)
    with sessions() as session:
        types = {row.message_id: row for row in session.exec(select(Notification))}
    year.sent = [_read(message, types) for message in mailer.sent]
    return year


def _read(message: EmailMessage, rows: dict[str, Notification]) -> Sent:
    row = rows[str(message["Message-ID"]).strip()]
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    body = str(html.get_content())
    locale = "en" if '<html lang="en">' in body else "fr"
    return Sent(
        row.type, locale, str(message["Subject"]), str(text.get_content()), body, row.person_id
    )


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)
