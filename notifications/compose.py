"""Composing messages: who gets what, with which words and links (pure: no store, no clock).

The activities give it a snapshot of the directory (people, portfolio and indicator names)
and the instant to sign links with; it gives back one `Outgoing` per recipient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.tasks import Task
from notifications import formatting
from notifications.context import (
    Recipient,
    SeriesFacts,
    TaskFacts,
    plan_context,
    task_context,
)
from notifications.links import LINK_LIFETIME, LinkClaim, sign_link
from notifications.messages import MessageType
from notifications.urls import dashboard_page, task_page

ONE_CLICK = {
    MessageType.reminder,
    MessageType.due,
    MessageType.overdue,
    MessageType.checkpoint,
}
DIGEST_INSTEAD = {MessageType.reminder, MessageType.due}


@dataclass(frozen=True)
class Contact:
    """A person as messages need them."""

    id: str
    name: str
    email: str
    role: str
    locale: str | None = None
    digest_only: bool = False
    active: bool = True


@dataclass(frozen=True)
class Snapshot:
    """Organisation, people, portfolio and indicator names, as one consistent view."""

    organisation: str
    zone: ZoneInfo
    locale: str
    people: dict[str, Contact]
    portfolios: dict[str, str] = field(default_factory=dict)
    indicators: dict[str, str] = field(default_factory=dict)

    def locale_of(self, person: Contact) -> str:
        return person.locale or self.locale

    @property
    def officers(self) -> list[Contact]:
        return [p for p in self.people.values() if p.role == "officer" and p.active]


@dataclass(frozen=True)
class Outgoing:
    """One message to one person, as the outbox knows it."""

    key: str
    message: MessageType
    person: Contact
    locale: str
    context: dict[str, Any]
    task_id: str | None
    cycle_id: str | None
    scheduled_at: datetime
    calendar: bytes | None = None
    group: str | None = None  # one email per person for all the messages of this group


@dataclass(frozen=True)
class Proposal:
    by: str
    due: datetime
    reason: str | None = None


@dataclass(frozen=True)
class TaskMessage:
    """A workflow's request to tell people about a task."""

    key: str
    message: MessageType
    task: Task
    to: tuple[str, ...]
    scheduled_at: datetime
    sequence: int = 0
    change: str | None = None
    overdue_days: int = 0
    proposal: Proposal | None = None

    @property
    def concerned(self) -> list[str]:
        """Everyone the message names, recipients or not."""
        task = self.task
        extra = [self.proposal.by] if self.proposal else []
        return list(dict.fromkeys([*self.to, *task.assignees, *task.attendees, *extra]))


@dataclass(frozen=True)
class LinkSigner:
    """Signs one-click links; without a secret, emails carry none."""

    app_url: str
    secret: str | None

    def task_links(
        self,
        task: Task,
        person: Contact,
        message: MessageType,
        now: datetime,
        shown: Task | None = None,
    ) -> dict[str, str]:
        """The page of the task the email tells of (`shown`: a series' first session), and the
        one-click actions on `task`."""
        links = {"view": task_page((shown or task).id, self.app_url)}
        if self.secret and message in ONE_CLICK and person.id in task.assignees:
            expires = now + LINK_LIFETIME
            # A checkpoint is done when its values are in: its link opens the values form.
            first = "values" if task.indicators else "complete"
            for action in (first, "postpone"):
                token = sign_link(self.secret, LinkClaim(action, task.id, person.id, expires))
                links[action] = f"{self.app_url}/act/{token}"
        return links


def task_messages(
    request: TaskMessage,
    snapshot: Snapshot,
    signer: LinkSigner,
    now: datetime,
    calendar: bytes | None = None,
    group: str | None = None,
    shown: Task | None = None,
    series: tuple[str, list[Task]] | None = None,
) -> list[Outgoing]:
    """One message per active recipient (a digest-only person skips day-to-day reminders);
    `shown` is the occurrence the text describes (a series is invited to by its first), and
    `series` the rule and sessions of the series the event belongs to, said in words."""
    people = snapshot.people
    task = shown or request.task
    facts = TaskFacts(
        id=task.id,
        title=task.title,
        kind=task.kind.value,
        portfolio=task.portfolio,
        portfolio_name=snapshot.portfolios.get(task.portfolio, task.portfolio),
        due=task.due,
        shifted_from=task.shifted_from,
        location=task.location,
        duration=task.duration,
        description=task.description,
        assignee_names=tuple(people[p].name for p in task.assignees if p in people),
        indicator_names=tuple(snapshot.indicators.get(i, i) for i in task.indicators),
        series=_series_facts(series),
    )
    task = request.task
    result = []
    for person_id in request.to:
        person = people.get(person_id)
        if person is None or not person.active:
            continue
        if person.digest_only and request.message in DIGEST_INSTEAD:
            continue  # they chose the weekly digest over day-to-day reminders
        locale = snapshot.locale_of(person)
        context = task_context(
            facts,
            Recipient(person.id, person.name, person.email, locale),
            snapshot.zone,
            snapshot.organisation,
            signer.task_links(task, person, request.message, now, shown),
            change=request.change,
            overdue_days=request.overdue_days,
            proposal=_proposal(request.proposal, snapshot, locale),
            # One email invites to the whole series (its group), told from its first session.
            series_invitation=group is not None and facts.series is not None,
        )
        result.append(
            Outgoing(
                key=f"{request.key}|{person.id}",
                message=request.message,
                person=person,
                locale=locale,
                context=context,
                task_id=task.id,
                cycle_id=f"{task.portfolio}/{task.year}",
                scheduled_at=request.scheduled_at,
                calendar=calendar,
                group=group,
            )
        )
    return result


def _series_facts(series: tuple[str, list[Task]] | None) -> SeriesFacts | None:
    if series is None or not series[1]:
        return None
    rule, members = series
    return SeriesFacts(rule, members[0].original, members[-1].original, len(members))


def _proposal(proposal: Proposal | None, snapshot: Snapshot, locale: str) -> dict[str, str]:
    if proposal is None:
        return {"by": "", "due_text": "", "reason": ""}
    by = snapshot.people.get(proposal.by)
    return {
        "by": by.name if by else proposal.by,
        "due_text": formatting.when(proposal.due, snapshot.zone, locale),
        "reason": proposal.reason or "",
    }


def fault_view(task_id: str | None, app_url: str) -> str:
    """Where a message about something gone wrong leads: its task, or the dashboard."""
    return task_page(task_id, app_url) if task_id else dashboard_page(app_url)


# How a message's failure begins when its template could not be filled in (not the server's).
UNWRITTEN = "the message could not be written"
# Composing it failed before any template: Boucle's bug (or its data's), not the organisation's.
UNCOMPOSED = "the message could not be composed"


def failure_report(
    failed: Outgoing,
    subject: str,
    error: str,
    officer: Contact,
    snapshot: Snapshot,
    app_url: str,
) -> Outgoing:
    """What an officer is told when a message was refused for good."""
    locale = snapshot.locale_of(officer)
    context = plan_context(
        Recipient(officer.id, officer.name, officer.email, locale),
        snapshot.organisation,
        {},
        {"view": fault_view(failed.task_id, app_url)},
        failure={
            "name": failed.person.name,
            "email": failed.person.email,
            "subject": subject,
            "error": error,
            "unwritten": error.startswith(UNWRITTEN),  # the template to fix, not the address
            "uncomposed": error.startswith(UNCOMPOSED),  # for those who run Boucle to fix
        },
    )
    return Outgoing(
        key=f"{failed.key}|failed|{officer.id}",
        message=MessageType.delivery_failed,
        person=officer,
        locale=locale,
        context=context,
        task_id=failed.task_id,
        cycle_id=failed.cycle_id,
        scheduled_at=failed.scheduled_at,
    )
