"""Private calendar feeds: one secret URL per person, shown once, stored as a SHA-256 digest.

The secret carries 256 random bits, as an API token does (see services.tokens): its digest
is all the database holds, and a new one revokes the one before.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from domain.model import Kind
from domain.tasks import Task
from notifications.feed import FeedEntry, person_feed
from services.tokens import digest
from store.audit import note_change
from store.facts import cycle_plan
from store.tables import CalendarFeed, Cycle, Organisation, Person, Portfolio, TaskPerson
from store.tables import Task as TaskRow

FEED_PREFIX = "bcf_"
FEED_SHAPE = re.compile(r"^bcf_[A-Za-z0-9_-]{43}$")


def looks_like_feed_secret(text: str) -> bool:
    return FEED_SHAPE.fullmatch(text) is not None


def _described(row: CalendarFeed) -> dict[str, object]:
    """What the audit trail says about a feed: whose it is and its dates, never its digest."""
    return {"person_id": row.person_id, "created_at": row.created_at, "revoked_at": row.revoked_at}


def _revoke_all(session: Session, person_id: str, now: datetime) -> int:
    rows = session.exec(
        select(CalendarFeed).where(
            CalendarFeed.person_id == person_id, col(CalendarFeed.revoked_at).is_(None)
        )
    ).all()
    for row in rows:
        before = _described(row)
        row.revoked_at = now
        session.add(row)
        note_change(f"calendar_feed/{row.id}", before, _described(row), always=("person_id",))
    return len(rows)


def issue_feed(
    session: Session, person_id: str, now: datetime | None = None
) -> tuple[str, CalendarFeed]:
    """A new feed secret for a person (the only time it exists in clear), revoking the last."""
    if session.get(Person, person_id) is None:
        raise LookupError(f"unknown person: {person_id}")
    now = now or datetime.now(UTC)
    _revoke_all(session, person_id, now)
    secret = FEED_PREFIX + secrets.token_urlsafe(32)
    row = CalendarFeed(person_id=person_id, secret_hash=digest(secret), created_at=now)
    session.add(row)
    session.commit()
    session.refresh(row)
    note_change(f"calendar_feed/{row.id}", None, _described(row), always=("person_id",))
    return secret, row


def revoke_feed(session: Session, person_id: str, now: datetime | None = None) -> bool:
    """Revoke a person's feed; False when they had none."""
    revoked = _revoke_all(session, person_id, now or datetime.now(UTC))
    session.commit()
    return revoked > 0


def current_feed(session: Session, person_id: str) -> CalendarFeed | None:
    """The person's live feed (its dates; never its secret, which is not kept)."""
    return session.exec(
        select(CalendarFeed)
        .where(CalendarFeed.person_id == person_id, col(CalendarFeed.revoked_at).is_(None))
        .order_by(col(CalendarFeed.id).desc())
    ).first()


def person_of_feed(session: Session, secret: str) -> Person | None:
    """The active person whose live feed this secret opens, or None."""
    if not looks_like_feed_secret(secret):
        return None
    row = session.exec(
        select(CalendarFeed).where(CalendarFeed.secret_hash == digest(secret))
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    person = session.get(Person, row.person_id)
    if person is None or not person.active:
        return None
    return person


def _task(row: TaskRow) -> Task:
    return Task.model_construct(
        id=row.id,
        portfolio=row.portfolio,
        year=row.year,
        item=row.item,
        kind=Kind(row.kind),
        title=row.title,
        due=row.due_at,
        original=row.original_at,
        assignees=tuple(row.assignees),
        attendees=tuple(row.attendees),
        duration=row.duration,
        location=row.location,
        indicators=tuple(row.indicators),
    )


def feed_entries(session: Session, person_id: str) -> list[FeedEntry]:
    """Every task the person is assigned to or attends, whatever its status."""
    rows = session.exec(
        select(TaskRow)
        .where(
            col(TaskRow.id).in_(select(TaskPerson.task_id).where(TaskPerson.person_id == person_id))
        )
        .order_by(col(TaskRow.due_at), col(TaskRow.id))
    ).all()
    return [FeedEntry(_task(row), row.status, row.sequence, row.updated_at) for row in rows]


def item_rules(session: Session, cycle_ids: set[str]) -> dict[tuple[str, int, str], str]:
    """The RRULE of every recurring item in the plan versions these cycles run."""
    rules: dict[tuple[str, int, str], str] = {}
    for cycle in session.exec(select(Cycle).where(col(Cycle.id).in_(cycle_ids))).all():
        document = cycle_plan(session, cycle)
        for plan in document.plans if document else []:
            for item in plan.items:
                if item.rrule:
                    rules[(plan.portfolio, plan.year, item.id)] = item.rrule
    return rules


def feed_text(session: Session, person: Person, now: datetime | None = None) -> str:
    """The person's calendar feed as it stands in the store."""
    entries = feed_entries(session, person.id)
    cycles = {f"{entry.task.portfolio}/{entry.task.year}" for entry in entries}
    organisation = session.get(Organisation, 1)
    names = {row.id: row.name for row in session.exec(select(Person)).all()}
    portfolios = {row.id: row.name for row in session.exec(select(Portfolio)).all()}
    return person_feed(
        name=person.name,
        entries=entries,
        rules=item_rules(session, cycles),
        names=names,
        zone=ZoneInfo(organisation.timezone if organisation else "Europe/Paris"),
        stamp=now or datetime.now(UTC),
        locale=person.locale or (organisation.locale if organisation else "fr"),
        portfolios=portfolios,
    )
