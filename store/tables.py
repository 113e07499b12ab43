"""SQLModel tables: what the API reads and activities project from the workflows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def _when(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default: Any) -> Any:
    return Field(
        default_factory=lambda: default.copy() if hasattr(default, "copy") else default,
        sa_column=Column(JSON, nullable=False),
    )


class Organisation(SQLModel, table=True):
    """The one organisation this deployment serves, with its calendar settings."""

    id: int = Field(default=1, primary_key=True)
    name: str
    timezone: str = "Europe/Paris"
    locale: str = "fr"
    document: dict[str, Any] = _json({})  # the plan file's organisation and reminders
    updated_at: datetime | None = _when()


class Person(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    email: str = Field(max_length=320)
    role: str = Field(max_length=16, index=True)
    locale: str | None = Field(default=None, max_length=8)
    digest_only: bool = False
    active: bool = True


class Portfolio(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    owner_id: str | None = Field(default=None, max_length=64)
    buyers: list[str] = _json([])
    cpv: list[str] = _json([])  # CPV prefixes: which DECP contracts are the portfolio's


class Indicator(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    unit: str = Field(max_length=16)
    direction: str = Field(max_length=16)
    baseline: float | None = None
    target: float | None = None
    floor: float | None = None
    portfolios: list[str] = _json([])
    source: str | None = None
    aggregation: str = Field(default="last", max_length=8)
    scope: str = Field(default="portfolio", max_length=16)
    computed: str | None = Field(default=None, max_length=32)


class IndicatorValue(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("indicator_id", "portfolio_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: str = Field(max_length=64, index=True)
    portfolio_id: str = Field(max_length=64, index=True)
    period: str = Field(max_length=160)
    value: float
    author_id: str | None = Field(default=None, max_length=64)
    comment: str | None = None
    source: str | None = None
    task_id: str | None = Field(default=None, max_length=200)
    recorded_at: datetime | None = _when()


class PlanVersion(SQLModel, table=True):
    """One version of a portfolio's yearly plan; approved versions stay readable."""

    __table_args__ = (UniqueConstraint("portfolio", "year", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    portfolio: str = Field(max_length=64, index=True)
    year: int = Field(index=True)
    version: int
    status: str = Field(default="draft", max_length=16)  # draft submitted approved superseded
    origin: str = Field(default="import", max_length=16)  # import generated amendment
    document: dict[str, Any] = _json({})  # a plan file holding just this plan
    digest: str = Field(max_length=64)
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime | None = _when()
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: datetime | None = _when()


class Cycle(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=80)  # {portfolio}/{year}
    portfolio: str = Field(max_length=64, index=True)
    year: int = Field(index=True)
    phase: str = Field(max_length=16, index=True)
    plan_version: int | None = None
    workflow_id: str = Field(max_length=120)
    submitted_at: datetime | None = _when()
    approved_at: datetime | None = _when()
    approved_by: str | None = Field(default=None, max_length=64)
    evaluate_on: datetime | None = _when()
    scorecard: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    review: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    next_plan_version: int | None = None
    updated_at: datetime | None = _when()


class Task(SQLModel, table=True):
    __table_args__ = (Index("ix_task_cycle_status_due", "cycle_id", "status", "due_at"),)

    id: str = Field(primary_key=True, max_length=200)
    cycle_id: str = Field(max_length=80)
    portfolio: str = Field(max_length=64)
    year: int
    item: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    title: str
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    original_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    assignees: list[str] = _json([])
    attendees: list[str] = _json([])
    indicators: list[str] = _json([])
    location: str | None = None
    duration: str | None = Field(default=None, max_length=32)
    status: str = Field(default="open", max_length=16)  # open done cancelled missed
    closes_at: datetime | None = _when()  # when an unfinished task becomes missed
    # The notices its workflow runs ([at, type, task, to] each), as pinned when it started.
    schedule: list[Any] | None = Field(default=None, sa_column=Column(JSON))
    done_at: datetime | None = _when()
    done_by: str | None = Field(default=None, max_length=64)
    comment: str | None = None
    evidence_url: str | None = None
    sequence: int = 0  # iCalendar SEQUENCE: bumped on each change people are told about
    updated_at: datetime | None = _when()


class TaskPerson(SQLModel, table=True):
    """Who a task concerns, for "my tasks" queries (assignees and event attendees)."""

    task_id: str = Field(primary_key=True, max_length=200)
    person_id: str = Field(primary_key=True, max_length=64, index=True)
    relation: str = Field(primary_key=True, max_length=16)  # assignee attendee


class Notification(SQLModel, table=True):
    """The outbox: one row per message and recipient, written before the SMTP call."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400, unique=True)
    type: str = Field(max_length=32, index=True)
    task_id: str | None = Field(default=None, max_length=200, index=True)
    cycle_id: str | None = Field(default=None, max_length=80, index=True)
    person_id: str = Field(max_length=64, index=True)
    email: str = Field(max_length=320)
    subject: str = ""
    message_id: str = Field(max_length=200)
    scheduled_at: datetime | None = _when()
    status: str = Field(default="pending", max_length=16, index=True)  # pending sent failed
    # Who is sending it right now, and until when: two attempts never send one key at once.
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _when()
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = _when()
    created_at: datetime | None = _when()


class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(max_length=64, index=True)
    token_hash: str = Field(max_length=128, unique=True)
    label: str | None = None
    created_at: datetime | None = _when()
    expires_at: datetime | None = _when()
    revoked_at: datetime | None = _when()
    last_used_at: datetime | None = _when()


class PageSession(SQLModel, table=True):
    """A browser's session, opened by an emailed sign-in link (or the token form)."""

    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str = Field(max_length=64, unique=True)  # SHA-256 of the cookie's value
    person_id: str = Field(max_length=64, index=True)
    token_id: int | None = None  # the token it was opened with: revoking it ends the session
    created_at: datetime | None = _when()
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = _when()
    last_seen_at: datetime | None = _when()  # idle for too long: the session ends


class UsedLink(SQLModel, table=True):
    """One-click links already used: each works once."""

    digest: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(max_length=64)
    task_id: str = Field(max_length=200)
    used_at: datetime | None = _when()


class AuditEntry(SQLModel, table=True):
    """Every write, through the API or the command line: who, with which token, what changed,
    when, and how it ended; sealed into one hash chain (store.audit)."""

    id: int | None = Field(default=None, primary_key=True)
    sequence: int | None = Field(default=None, unique=True)  # the row's place in the chain
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    person_id: str | None = Field(default=None, max_length=64, index=True)
    token_id: int | None = None
    origin: str = Field(default="api", max_length=8)  # api cli
    method: str = Field(max_length=8)  # the HTTP method, or CLI
    path: str = Field(max_length=400)
    action: str = Field(max_length=80)  # the route's name, e.g. complete_task
    target: str | None = Field(default=None, max_length=200)
    status: int  # the HTTP status, or the command's exit status
    changes: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    previous_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class AuditChain(SQLModel, table=True):
    """The chain's head: how many rows it holds and the last one's hash (one row, id 1)."""

    id: int = Field(default=1, primary_key=True)
    length: int = 0
    last_hash: str = Field(default="0" * 64, max_length=64)


class AccessRevision(SQLModel, table=True):
    """One counter, bumped with every revocation, role or activity change (see store.access)."""

    id: int = Field(default=1, primary_key=True)
    revision: int = 0


class PersonProposal(SQLModel, table=True):
    """A change to a person that a plan import may not make: an admin accepts or dismisses it."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(max_length=64, index=True)
    current_role: str | None = Field(default=None, max_length=16)  # None: a person not stored yet
    record: dict[str, Any] = _json({})  # the person as the plan file lists them
    source: str = Field(default="plan import", max_length=32)
    proposed_at: datetime | None = _when()
    settled_by: str | None = Field(default=None, max_length=64)
    settled_at: datetime | None = _when()
    outcome: str | None = Field(default=None, max_length=16)  # accepted dismissed


class Evidence(SQLModel, table=True):
    """A file attached to a task as proof of the work (kept under the data folder)."""

    id: str = Field(primary_key=True, max_length=64)  # SHA-256 of the content
    task_id: str = Field(primary_key=True, max_length=200)
    filename: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    size: int
    uploaded_by: str = Field(max_length=64)
    uploaded_at: datetime | None = _when()


class IdempotentRequest(SQLModel, table=True):
    """An API write that reached a workflow, kept so that its retry changes nothing."""

    key: str = Field(primary_key=True, max_length=64)  # SHA-256 of person, route and key
    person_id: str = Field(max_length=64)
    request_digest: str = Field(max_length=64)  # the same key with another body is refused
    update_id: str = Field(max_length=120)  # what the workflow update is run under
    status: int | None = None  # the answer's status, once there is one
    body: str | None = None  # the answer's JSON
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class CalendarFeed(SQLModel, table=True):
    """A person's private calendar feed: its URL's secret, kept as a SHA-256 digest."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(max_length=64, index=True)
    secret_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = _when()


class DecpContract(SQLModel, table=True):
    """A notified contract from the buyer's DECP data; a new version replaces the stored one."""

    uid: str = Field(primary_key=True, max_length=120)  # the buyer's SIRET then the contract id
    contract_id: str = Field(max_length=100)
    buyer: str = Field(max_length=14, index=True)
    objet: str = Field(default="", max_length=1000)
    amount: float  # € HT, as published
    notified: str = Field(max_length=10, index=True)  # YYYY-MM-DD
    year: int = Field(index=True)
    cpv: str = Field(default="", max_length=16)
    procedure: str = Field(default="", max_length=120)
    nature: str = Field(default="", max_length=60)
    social: list[str] = _json([])
    environmental: list[str] = _json([])
    fingerprint: str = Field(max_length=64)  # SHA-256 of the fields above: same means unchanged
    source: str = Field(default="", max_length=200)  # the file it came from
    imported_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
