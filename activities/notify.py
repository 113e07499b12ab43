"""Sending notifications: outbox row first, then SMTP; retries and replays never send twice."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.outbox import Claim, Claimed, Outbox, Outcome
from domain.tasks import Task as DomainTask
from domain.tasks import plan_tasks
from notifications import formatting
from notifications.context import Recipient, TaskFacts, plan_context, task_context
from notifications.email import build_email, message_id
from notifications.ics import (
    invitation_calendar,
    series_rule,
    series_uid,
    task_length,
    task_uid,
)
from notifications.links import LINK_LIFETIME, LinkClaim, sign_link
from notifications.messages import CALENDAR_METHODS, MessageType
from notifications.render import render
from notifications.smtp import DeliveryError, Mailer
from store.database import SessionFactory
from store.facts import cycle_plan
from store.tables import Cycle, Indicator, Organisation, Person, Portfolio, Task
from workflows.types import ActivityName, PlanNotice, SendReport, TaskNotice


@dataclass(frozen=True)
class NotificationConfig:
    sender_name: str = "Boucle"
    sender_email: str = "boucle@localhost"
    app_url: str = "http://127.0.0.1:8000"
    message_domain: str = "boucle.local"
    templates_dir: str | None = None
    link_secret: str | None = None  # without it, emails carry no one-click action


@dataclass(frozen=True)
class Outgoing:
    """One message to one person, as the outbox knows it."""

    key: str
    message: MessageType
    person: Person
    locale: str
    context: dict[str, Any]
    task_id: str | None
    cycle_id: str | None
    scheduled_at: datetime
    calendar: bytes | None = None
    group: str | None = None  # one email per person for all the messages of this group


DIRECTORY_TTL = 30.0


@dataclass(frozen=True)
class Failure:
    """A message the SMTP server refused for good (5xx)."""

    subject: str
    error: str


@dataclass(frozen=True)
class Directory:
    """Organisation, people, portfolio and indicator names, as one consistent snapshot."""

    organisation: str
    zone: ZoneInfo
    locale: str
    people: dict[str, Person]
    portfolios: dict[str, str]
    indicators: dict[str, str]
    expires: float

    @classmethod
    def load(cls, session: Session) -> Directory:
        organisation = session.get(Organisation, 1)
        return cls(
            organisation=organisation.name if organisation else "Boucle",
            zone=ZoneInfo(organisation.timezone if organisation else "Europe/Paris"),
            locale=organisation.locale if organisation else "fr",
            people={p.id: p for p in session.exec(select(Person))},
            portfolios={p.id: p.name for p in session.exec(select(Portfolio))},
            indicators={i.id: i.name for i in session.exec(select(Indicator))},
            expires=time.monotonic() + DIRECTORY_TTL,
        )


class NotificationActivities:
    def __init__(
        self, sessions: SessionFactory, mailer: Mailer, config: NotificationConfig
    ) -> None:
        self.sessions = sessions
        self.mailer = mailer
        self.config = config
        self.outbox = Outbox(sessions)
        self._series_cache: dict[
            tuple[str, int, str], tuple[float, tuple[str, list[DomainTask]] | None]
        ] = {}
        self._snapshot: Directory | None = None

    # --- lookups ---------------------------------------------------------------------------

    def _directory(self, needed: set[str] | None = None) -> Directory:
        """Reference data, reloaded every few seconds or when a needed person is unknown."""
        current = self._snapshot
        if (
            current is None
            or current.expires < time.monotonic()
            or not (needed or set()) <= current.people.keys()
        ):
            with self.sessions() as session:
                current = Directory.load(session)
            self._snapshot = current
        return current

    def _organisation(self) -> tuple[str, ZoneInfo, str]:
        directory = self._directory()
        return directory.organisation, directory.zone, directory.locale

    def _people(self, ids: list[str]) -> dict[str, Person]:
        people = self._directory(set(ids)).people
        return {person_id: people[person_id] for person_id in ids if person_id in people}

    def _names(self, model: Any, ids: list[str]) -> dict[str, str]:
        names = self._directory().portfolios if model is Portfolio else self._directory().indicators
        return {identifier: names[identifier] for identifier in ids if identifier in names}

    # --- activities ------------------------------------------------------------------------

    @activity.defn(name=ActivityName.send_task_notice)
    async def send_task_notice(self, notice: TaskNotice) -> SendReport:
        outgoing = await asyncio.to_thread(self._task_messages, notice)
        return await self._deliver_all(outgoing)

    @activity.defn(name=ActivityName.send_plan_notice)
    async def send_plan_notice(self, notice: PlanNotice) -> SendReport:
        outgoing = await asyncio.to_thread(self._plan_messages, notice)
        return await self._deliver_all(outgoing)

    # --- building --------------------------------------------------------------------------

    def _task_messages(self, notice: TaskNotice) -> list[Outgoing]:
        organisation, zone, default_locale = self._organisation()
        task = notice.task
        people = self._people(
            list(
                {
                    *notice.to,
                    *task.assignees,
                    *task.attendees,
                    *([notice.proposal.by] if notice.proposal else []),
                }
            )
        )
        portfolio = self._names(Portfolio, [task.portfolio]).get(task.portfolio, task.portfolio)
        indicators = self._names(Indicator, list(task.indicators))
        facts = TaskFacts(
            id=task.id,
            title=task.title,
            kind=task.kind.value,
            portfolio=task.portfolio,
            portfolio_name=portfolio,
            due=task.due,
            shifted_from=task.shifted_from,
            location=task.location,
            duration=task.duration,
            description=task.description,
            assignee_names=tuple(people[p].name for p in task.assignees if p in people),
            indicator_names=tuple(indicators.get(i, i) for i in task.indicators),
        )
        message = MessageType(notice.message)
        calendar, group = None, None
        if message in CALENDAR_METHODS:
            calendar, group = self._invitation(task, people, zone, message, notice.sequence)
        view = f"{self.config.app_url}/cycles/{task.portfolio}/{task.year}"
        result = []
        for person_id in notice.to:
            person = people.get(person_id)
            if person is None or not person.active:
                continue
            if person.digest_only and message in DIGEST_INSTEAD:
                continue  # they chose the weekly digest over day-to-day reminders
            recipient = Recipient(
                person.id, person.name, person.email, person.locale or default_locale
            )
            context = task_context(
                facts,
                recipient,
                zone,
                organisation,
                self._links(view, task, person, message),
                change=notice.change,
                overdue_days=notice.overdue_days,
                proposal=self._proposal(notice, people, zone, recipient.locale),
            )
            result.append(
                Outgoing(
                    key=f"{notice.key}|{person.id}",
                    message=message,
                    person=person,
                    locale=recipient.locale,
                    context=context,
                    task_id=task.id,
                    cycle_id=f"{task.portfolio}/{task.year}",
                    scheduled_at=notice.scheduled_at,
                    calendar=calendar,
                    group=group,
                )
            )
        return result

    def _proposal(
        self, notice: TaskNotice, people: dict[str, Person], zone: ZoneInfo, locale: str
    ) -> dict[str, str]:
        proposal = notice.proposal
        if proposal is None:
            return {"by": "", "due_text": "", "reason": ""}
        by = people.get(proposal.by)
        return {
            "by": by.name if by else proposal.by,
            "due_text": formatting.when(proposal.due, zone, locale),
            "reason": proposal.reason or "",
        }

    def _links(
        self, view: str, task: DomainTask, person: Person, message: MessageType
    ) -> dict[str, str]:
        links = {"view": view}
        if self.config.link_secret and message in ONE_CLICK and person.id in task.assignees:
            expires = datetime.now(UTC) + LINK_LIFETIME
            # A checkpoint is done when its values are in: its link opens the values form.
            first = "values" if task.indicators else "complete"
            for action in (first, "postpone"):
                token = sign_link(
                    self.config.link_secret, LinkClaim(action, task.id, person.id, expires)
                )
                links[action] = f"{self.config.app_url}/act/{token}"
        return links

    def _invitation(
        self,
        task: DomainTask,
        people: dict[str, Person],
        zone: ZoneInfo,
        message: MessageType,
        sequence: int,
    ) -> tuple[bytes, str | None]:
        """The .ics of an invitation, update or cancellation, and the group it belongs to.

        An occurrence of a recurring event is invited to as its whole series, once per
        person (the group); a later change names the occurrence by its RECURRENCE-ID.
        """
        attendees = [(people[p].name, people[p].email) for p in task.people if p in people]
        calendar_of = partial(
            invitation_calendar,
            method=CALENDAR_METHODS[message],
            sequence=sequence,
            title=task.title,
            zone=zone,
            organiser=(self.config.sender_name, self.config.sender_email),
            attendees=attendees,
            stamp=datetime.now(UTC),
            location=task.location,
            description=task.description,
        )
        series = self._series(task, zone) if task.recurring else None
        if series is None:
            calendar = calendar_of(
                uid=task_uid(task), start=task.due, end=task.due + task_length(task)
            )
            return calendar.to_ical(), None
        rule, members = series
        if message != MessageType.invitation:
            calendar = calendar_of(
                uid=series_uid(task),
                start=task.due,
                end=task.due + task_length(task),
                recurrence_id=task.original,
            )
            return calendar.to_ical(), None
        first = members[0]
        calendar = calendar_of(
            uid=series_uid(task),
            start=first.original,
            end=first.original + task_length(first),
            rule=rule,
            moved=[(m.original, m.due, m.due + task_length(m)) for m in members if m.shifted_from],
        )
        return calendar.to_ical(), f"{task.portfolio}/{task.year}/{task.item}|series-invitation"

    def _series(self, task: DomainTask, zone: ZoneInfo) -> tuple[str, list[DomainTask]] | None:
        """The item's RRULE and occurrences as the running plan has them, when one rule tells
        them all; None otherwise (then each occurrence is invited to on its own)."""
        key = (task.portfolio, task.year, task.item)
        cached = self._series_cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        found: tuple[str, list[DomainTask]] | None = None
        with self.sessions() as session:
            cycle = session.get(Cycle, f"{task.portfolio}/{task.year}")
            document = cycle_plan(session, cycle) if cycle is not None else None
        plan = next((p for p in document.plans if p.year == task.year), None) if document else None
        item = next((i for i in plan.items if i.id == task.item), None) if plan else None
        if document is not None and plan is not None and item is not None:
            members = [t for t in plan_tasks(document, plan) if t.item == task.item]
            rule = series_rule(item.rrule, members, zone)
            if rule is not None:
                found = (rule, sorted(members, key=lambda t: t.original))
        self._series_cache[key] = (time.monotonic() + DIRECTORY_TTL, found)
        return found

    def _plan_messages(self, notice: PlanNotice) -> list[Outgoing]:
        organisation, zone, default_locale = self._organisation()
        facts = dict(notice.facts)
        approver = facts.pop("approved_by", None)
        people = self._people([*notice.to, *([approver] if approver else [])])
        portfolio = self._names(Portfolio, [notice.portfolio]).get(
            notice.portfolio, notice.portfolio
        )
        cycle_id = f"{notice.portfolio}/{notice.year}"
        with self.sessions() as session:
            occurrences = session.exec(
                select(func.count()).select_from(Task).where(Task.cycle_id == cycle_id)
            ).one()
            cycle = session.get(Cycle, cycle_id)
        card = (cycle.scorecard if cycle else None) or {}
        result = []
        for person_id in notice.to:
            person = people.get(person_id)
            if person is None or not person.active:
                continue
            locale = person.locale or default_locale
            plan = {
                "portfolio": notice.portfolio,
                "portfolio_name": portfolio,
                "year": facts.get("year", notice.year),
                "items": facts.get("items", 0),
                "occurrences": occurrences,
                "carried_over": facts.get("carried_over", 0),
                "approve_by_text": formatting.day(
                    _deadline(facts, notice.scheduled_at), zone, locale
                ),
                "approved_by": people[approver].name if approver in people else approver,
            }
            context = plan_context(
                Recipient(person.id, person.name, person.email, locale),
                organisation,
                plan,
                {"view": f"{self.config.app_url}/cycles/{notice.portfolio}/{notice.year}"},
                indicators=facts.get("indicators", []),
                score=_score(card, locale),
            )
            result.append(
                Outgoing(
                    key=f"{notice.key}|{person.id}",
                    message=MessageType(notice.message),
                    person=person,
                    locale=locale,
                    context=context,
                    task_id=None,
                    cycle_id=f"{notice.portfolio}/{notice.year}",
                    scheduled_at=notice.scheduled_at,
                )
            )
        return result

    # --- delivery --------------------------------------------------------------------------

    async def _deliver_all(self, outgoing: list[Outgoing]) -> SendReport:
        report = SendReport()
        temporary: list[str] = []
        for message in outgoing:
            outcome = await self._deliver(message)
            if outcome == "sent":
                report.sent += 1
            elif outcome == "skipped":
                report.skipped += 1
            elif isinstance(outcome, Failure):
                report.failed += 1
                if message.message != MessageType.delivery_failed:
                    temporary += await self._tell_officers(message, outcome)
            else:
                temporary.append(outcome)
        if temporary:
            # Retried by Temporal with backoff; messages already sent are skipped next time.
            raise ApplicationError("temporary delivery failure: " + "; ".join(temporary))
        return report

    async def _tell_officers(self, message: Outgoing, failure: Failure) -> list[str]:
        """Report a permanent failure to the officers; returns their temporary failures."""
        temporary: list[str] = []
        directory = await asyncio.to_thread(self._directory)
        for officer in directory.people.values():
            if officer.role != "officer" or not officer.active or officer.id == message.person.id:
                continue
            locale = officer.locale or directory.locale
            context = plan_context(
                Recipient(officer.id, officer.name, officer.email, locale),
                directory.organisation,
                {},
                {},
                failure={
                    "name": message.person.name,
                    "email": message.person.email,
                    "subject": failure.subject,
                    "error": failure.error,
                },
            )
            report = Outgoing(
                key=f"{message.key}|failed|{officer.id}",
                message=MessageType.delivery_failed,
                person=officer,
                locale=locale,
                context=context,
                task_id=message.task_id,
                cycle_id=message.cycle_id,
                scheduled_at=message.scheduled_at,
            )
            outcome = await self._deliver(report)
            if isinstance(outcome, str) and outcome not in ("sent", "skipped"):
                temporary.append(outcome)
        return temporary

    async def _deliver(self, message: Outgoing) -> str | Failure:
        row = await self.outbox.claim(self._claim(message, message.key))
        if row.status in ("sent", "grouped"):
            return "skipped"
        if row.status == "failed":
            # Refused for good earlier: report it again (idempotent) in case that report failed.
            return Failure(row.subject, row.last_error or "")
        if message.group is None:
            return await self._send(message, message.key, row)
        # One email for the whole group: whoever wrote the group's row sends it (again, on a
        # retry); the other messages of the group are recorded as carried by that email.
        group_key = f"{message.group}|{message.person.id}"
        group = await self.outbox.claim(self._claim(message, group_key))
        outcome: str | Failure = "sent"
        if group.created or group.task_id == message.task_id:
            outcome = await self._send(message, group_key, group)
        if outcome in ("sent", "skipped"):
            await self.outbox.record(Outcome(message.key, "", "grouped", None))
            return "skipped"
        return outcome

    def _claim(self, message: Outgoing, key: str) -> Claim:
        return Claim(
            key=key,
            type=message.message.value,
            task_id=message.task_id,
            cycle_id=message.cycle_id,
            person_id=message.person.id,
            email=message.person.email,
            message_id=message_id(key, self.config.message_domain),
            scheduled_at=message.scheduled_at,
        )

    async def _send(self, message: Outgoing, key: str, row: Claimed) -> str | Failure:
        """Render and send one email under the outbox row `key`, then record the outcome."""
        if row.status in ("sent", "grouped"):
            return "skipped"
        if row.status == "failed":
            return Failure(row.subject, row.last_error or "")
        rendered = render(
            message.message, message.locale, message.context, self.config.templates_dir
        )
        email = build_email(
            rendered,
            sender=(self.config.sender_name, self.config.sender_email),
            recipient=(message.person.name, message.person.email),
            message_id_value=row.message_id,
            date=datetime.now(UTC),
            calendar=message.calendar,
            calendar_method=CALENDAR_METHODS.get(message.message),
        )
        try:
            await self.mailer.send(email)
        except DeliveryError as error:
            await self.outbox.record(
                Outcome(
                    key,
                    rendered.subject,
                    "failed" if error.permanent else "pending",
                    str(error),
                )
            )
            if error.permanent:
                return Failure(rendered.subject, str(error))
            return f"{message.person.email}: {error}"
        await self.outbox.record(Outcome(key, rendered.subject, "sent", None))
        return "sent"


ONE_CLICK = {
    MessageType.reminder,
    MessageType.due,
    MessageType.overdue,
    MessageType.checkpoint,
}
DIGEST_INSTEAD = {MessageType.reminder, MessageType.due}

STATUS_LABELS = {
    "fr": {
        "on_track": "en bonne voie",
        "at_risk": "à surveiller",
        "off_track": "en retard sur la cible",
        "no_data": "sans valeur",
    },
    "en": {
        "on_track": "on track",
        "at_risk": "at risk",
        "off_track": "off track",
        "no_data": "no value",
    },
}


def _score(card: dict[str, Any], locale: str) -> dict[str, Any]:
    """What an evaluation message says about a stored scorecard."""
    tasks = card.get("tasks", {})
    labels = STATUS_LABELS.get(locale, STATUS_LABELS["fr"])
    return {
        "done_on_time": tasks.get("done_on_time", 0),
        "done_late": tasks.get("done_late", 0),
        "missed": tasks.get("missed", 0),
        "indicators": [
            {
                "name": row["name"],
                "value_text": _number(row.get("value")),
                "target_text": _number(row.get("target")),
                "status_text": labels.get(row["status"], row["status"]),
            }
            for row in card.get("indicators", [])
        ],
    }


def _deadline(facts: dict[str, Any], fallback: datetime) -> datetime:
    text = facts.get("deadline")
    return datetime.fromisoformat(text) if isinstance(text, str) else fallback


def _number(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:g}".replace(".", ",")
