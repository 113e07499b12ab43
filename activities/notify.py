"""The notification activities: compose each message, then deliver it through the outbox."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery import Delivery, Sender
from activities.directory import Directory
from activities.outbox import Outbox
from activities.series import SeriesPlans
from domain.model import PlanFile
from domain.tasks import plan_tasks
from notifications.compose import (
    UNCOMPOSED,
    Contact,
    LinkSigner,
    Outgoing,
    Proposal,
    TaskMessage,
    task_messages,
)
from notifications.cycle_messages import PlanMessage, plan_messages
from notifications.invitations import invitation
from notifications.messages import CALENDAR_METHODS, MessageType
from notifications.render import template_locale
from notifications.smtp import Mailer
from services.metrics import NOTIFICATIONS_FAILED
from store.database import SessionFactory
from store.facts import cycle_plan
from store.tables import Cycle
from workflows.types import MESSAGE_BROKEN, ActivityName, PlanNotice, SendReport, TaskNotice

log = logging.getLogger("boucle.notify")


@dataclass(frozen=True)
class NotificationConfig:
    sender_name: str = "Boucle"
    sender_email: str = "boucle@localhost"
    app_url: str = "http://127.0.0.1:8000"
    message_domain: str = "boucle.local"
    templates_dir: str | None = None
    link_secret: str | None = None  # without it, emails carry no one-click action


class NotificationActivities:
    def __init__(
        self, sessions: SessionFactory, mailer: Mailer, config: NotificationConfig
    ) -> None:
        self.sessions = sessions
        self.config = config
        self.directory = Directory(sessions)
        self.series = SeriesPlans(sessions)
        self.signer = LinkSigner(config.app_url, config.link_secret)
        self.delivery = Delivery(
            Outbox(sessions),
            mailer,
            Sender(
                config.sender_name,
                config.sender_email,
                config.message_domain,
                config.templates_dir,
                config.app_url,
            ),
            self.directory,
        )

    @activity.defn(name=ActivityName.send_task_notice)
    async def send_task_notice(self, notice: TaskNotice) -> SendReport:
        return await self.send_task_notices([notice])

    @activity.defn(name=ActivityName.send_task_notices)
    async def send_task_notices(self, notices: list[TaskNotice]) -> SendReport:
        """Several tasks' notices at once (a cycle's invitations when its year starts)."""
        outgoing: list[Outgoing] = []
        broken: list[tuple[Unwritten, str]] = []
        for notice in notices:
            task = notice.task
            try:
                outgoing += await asyncio.to_thread(self._task_messages, notice)
            except STORE_AWAY:
                raise  # the store is away for now: retried with backoff, nothing is lost
            except Exception as error:  # the others still go; this one fails for good
                cycle_id = f"{task.portfolio}/{task.year}"
                unwritten = Unwritten(
                    notice.key, notice.message, notice.to, task.id, cycle_id, notice.scheduled_at
                )
                broken.append((unwritten, unwritable(unwritten, error)))
        report = await self.delivery.deliver_all(outgoing)
        if broken:
            raise await self._refuse(broken)
        return report

    @activity.defn(name=ActivityName.send_plan_notice)
    async def send_plan_notice(self, notice: PlanNotice) -> SendReport:
        try:
            outgoing = await asyncio.to_thread(self._plan_messages, notice)
        except STORE_AWAY:
            raise
        except Exception as error:
            cycle_id = f"{notice.portfolio}/{notice.year}"
            unwritten = Unwritten(
                notice.key, notice.message, notice.to, None, cycle_id, notice.scheduled_at
            )
            raise await self._refuse([(unwritten, unwritable(unwritten, error))]) from error
        return await self.delivery.deliver_all(outgoing)

    async def _refuse(self, broken: list[tuple[Unwritten, str]]) -> ApplicationError:
        """Record each recipient's message as failed and tell the officers; the error that fails
        the activity for good (a retry would compose it the same way). A report that could not
        go yet raises a retryable error instead: the next attempt reports again."""
        snapshot = await asyncio.to_thread(
            self.directory.snapshot, [p for unwritten, _ in broken for p in unwritten.to]
        )
        for unwritten, reason in broken:
            for person_id in unwritten.to:
                person = snapshot.people.get(person_id) or Contact(
                    id=person_id, name=person_id, email="", role="", locale=None
                )
                locale = snapshot.locale_of(person)
                placeholder = Outgoing(
                    key=f"{unwritten.key}|{person_id}",
                    message=MessageType(unwritten.message),
                    person=person,
                    locale=locale,
                    context={},
                    task_id=unwritten.task_id,
                    cycle_id=unwritten.cycle_id,
                    scheduled_at=unwritten.scheduled_at,
                )
                template = f"{template_locale(locale)}/{unwritten.message}"
                await self.delivery.refuse(placeholder, template, f"{UNCOMPOSED}: {reason}")
        return message_broken(
            [f"{u.key}: {u.message} could not be written: {r}" for u, r in broken]
        )

    def _task_messages(self, notice: TaskNotice) -> list[Outgoing]:
        proposal = notice.proposal
        request = TaskMessage(
            key=notice.key,
            message=MessageType(notice.message),
            task=notice.task,
            to=notice.to,
            scheduled_at=notice.scheduled_at,
            sequence=notice.sequence,
            change=notice.change,
            overdue_days=notice.overdue_days,
            proposal=Proposal(proposal.by, proposal.due, proposal.reason) if proposal else None,
        )
        snapshot = self.directory.snapshot(request.concerned)
        now = datetime.now(UTC)
        calendar, group, shown, series = None, None, None, None
        if request.message in CALENDAR_METHODS:
            task, people = notice.task, snapshot.people
            series = self.series.series(task, snapshot.zone)
            calendar, group = invitation(
                task,
                [(people[p].name, people[p].email) for p in task.people if p in people],
                snapshot.zone,
                request.message,
                notice.sequence,
                (self.config.sender_name, self.config.sender_email),
                now,
                series,
            )
            if group is not None and series is not None:
                shown = series[1][0]  # the series' email tells of its first session
        return task_messages(request, snapshot, self.signer, now, calendar, group, shown, series)

    def _plan_messages(self, notice: PlanNotice) -> list[Outgoing]:
        named = [notice.facts.get(name) for name in ("approved_by", "returned_by")]
        snapshot = self.directory.snapshot([*notice.to, *(p for p in named if p)])
        cycle_id = f"{notice.portfolio}/{notice.year}"
        facts = dict(notice.facts)
        with self.sessions() as session:
            cycle = session.get(Cycle, cycle_id)
            if notice.message in COUNTED and "items" not in facts and cycle is not None:
                facts = {**plan_counts(cycle_plan(session, cycle), notice.year), **facts}
        request = PlanMessage(
            key=notice.key,
            message=MessageType(notice.message),
            portfolio=notice.portfolio,
            year=notice.year,
            to=notice.to,
            scheduled_at=notice.scheduled_at,
            facts=facts,
        )
        scorecard = (cycle.scorecard if cycle else None) or {}
        occurrences = int(facts.get("occurrences", 0))
        return plan_messages(request, snapshot, self.config.app_url, occurrences, scorecard)


# What a composition that failed for now raises: the store cannot be reached (PostgreSQL
# restarting, SQLite locked); any other error is a bug that fails every attempt alike.
STORE_AWAY = (SQLAlchemyError, OSError)


@dataclass(frozen=True)
class Unwritten:
    """A notice whose messages could not be composed: whom it was for, and what of."""

    key: str
    message: str
    to: tuple[str, ...]
    task_id: str | None
    cycle_id: str
    scheduled_at: datetime


def unwritable(unwritten: Unwritten, error: Exception) -> str:
    """Log and count a notice whose messages cannot be composed; what the error says of it."""
    NOTIFICATIONS_FAILED.labels(unwritten.message).inc()
    reason = f"{type(error).__name__}: {error}"
    log.error(
        "%s: %s could not be written: %s",
        unwritten.key,
        unwritten.message,
        reason,
        extra={"task_id": unwritten.task_id},
        exc_info=error,
    )
    return reason


def message_broken(reasons: list[str]) -> ApplicationError:
    """Not retried: composing the same notice again fails the same way."""
    return ApplicationError("; ".join(reasons), type=MESSAGE_BROKEN, non_retryable=True)


# The messages that count the plan's items and occurrences.
COUNTED = {"plan_submit_request", "plan_approval_request", "plan_approved", "plan_returned"}


def plan_counts(document: PlanFile | None, year: int) -> dict[str, int]:
    """The plan's items and occurrences, for a cycle begun before 2026-12 that sends its
    plan notices without them (its tasks are not in the store before approval)."""
    plan = next((p for p in document.plans if p.year == year), None) if document else None
    if document is None or plan is None:
        return {}
    return {"items": len(plan.items), "occurrences": len(plan_tasks(document, plan))}
