"""The outbox: one row per message, claimed with a lease before the SMTP call, marked right
after it.

A claim writes the row when it does not exist yet and takes its send lease: only the attempt
holding a key's lease sends it, so two attempts (a retry after a timeout, another worker)
never send one key at once. A lease left by a worker that died expires after LEASE, and the
next attempt sends the message again, under the same Message-ID. The only messages a crash
can duplicate are the ones the SMTP server had accepted and the outbox had not marked yet:
those in flight.

When a thousand reminders fall due at the same minute, a commit per message and per status
is what limits a worker. Claims and marks that arrive while a write is under way go in the
next transaction together (group commit): a quiet worker writes each at once, a busy one a
few hundred per commit, and nobody goes on before their own write has committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import and_, bindparam, or_, update
from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from store.database import SessionFactory
from store.tables import Notification

OUTBOX = Notification.__table__  # type: ignore[attr-defined]
LARGEST_BATCH = 500  # keeps a statement's parameter list well under every database's limit
# Longer than a send may take (the mailer's own timeout, waiting for a pooled connection
# included: see activities.delivery.SEND_TIMEOUT).
LEASE = timedelta(seconds=60)

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Claim:
    """What the outbox needs to know about a message before it is sent, and who sends it."""

    key: str
    type: str
    task_id: str | None
    cycle_id: str | None
    person_id: str
    email: str
    message_id: str
    scheduled_at: datetime
    owner: str  # this attempt: the lease is taken in its name


@dataclass(frozen=True)
class Claimed:
    """The outbox row of a message, as the claim found or wrote it."""

    status: str
    message_id: str
    subject: str
    last_error: str | None
    task_id: str | None = None  # the task whose message wrote the row
    created: bool = False  # written by this very claim
    leased: bool = False  # this attempt holds the send lease: it may send


@dataclass(frozen=True)
class Outcome:
    """What happened to one attempt to send a message."""

    key: str
    subject: str
    status: str  # sent, grouped, pending (will be retried) or failed (refused for good)
    error: str | None


class GroupWriter(Generic[Item, Result]):
    """Runs `write` on a worker thread for every item submitted while the previous write ran."""

    def __init__(self, write: Callable[[list[Item]], list[Result]]) -> None:
        self._write = write
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writing = False

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if not self._writing:
            self._writing = True
            asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[:LARGEST_BATCH]
                del self._waiting[:LARGEST_BATCH]
                try:
                    results = await asyncio.to_thread(self._write, [item for item, _ in batch])
                except Exception as error:  # each submitter sees the failure as its own
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._writing = False


class Outbox:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self._claims = GroupWriter(self.claim_all)
        self._outcomes = GroupWriter(self.record_all)

    async def claim(self, claim: Claim) -> Claimed:
        return await self._claims.submit(claim)

    async def record(self, outcome: Outcome) -> None:
        await self._outcomes.submit(outcome)

    def claim_all(self, claims: Sequence[Claim]) -> list[Claimed]:
        """Write the rows that do not exist yet and take the leases that are free."""
        try:
            with self.sessions.writing() as connection:
                return self._claim_in(connection, claims)
        except IntegrityError:
            # Another worker wrote one of the rows between our read and our write: again.
            with self.sessions.writing() as connection:
                return self._claim_in(connection, claims)

    def _claim_in(self, connection: Connection, claims: Sequence[Claim]) -> list[Claimed]:
        keys = list({claim.key for claim in claims})
        existing = {
            row.key
            for row in connection.execute(sa_select(OUTBOX.c.key).where(OUTBOX.c.key.in_(keys)))
        }
        now = datetime.now(UTC)
        created: dict[str, Claim] = {}
        for claim in claims:
            if claim.key not in existing and claim.key not in created:
                created[claim.key] = claim
        if created:
            connection.execute(
                sa_insert(OUTBOX),
                [
                    {
                        "key": claim.key,
                        "type": claim.type,
                        "task_id": claim.task_id,
                        "cycle_id": claim.cycle_id,
                        "person_id": claim.person_id,
                        "email": claim.email,
                        "subject": "",
                        "message_id": claim.message_id,
                        "scheduled_at": claim.scheduled_at,
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                    }
                    for claim in created.values()
                ],
            )
        # One lease per key: in a batch, the first claim of a key takes it, if it is free.
        first: dict[str, Claim] = {}
        for claim in claims:
            first.setdefault(claim.key, claim)
        connection.execute(
            update(OUTBOX)
            .where(
                and_(
                    OUTBOX.c.key == bindparam("row_key"),
                    OUTBOX.c.status == "pending",
                    or_(
                        OUTBOX.c.lease_until.is_(None),
                        OUTBOX.c.lease_until < bindparam("row_now"),
                        OUTBOX.c.lease_owner == bindparam("row_owner"),
                    ),
                )
            )
            .values(lease_owner=bindparam("row_owner"), lease_until=bindparam("row_until")),
            [
                {
                    "row_key": claim.key,
                    "row_owner": claim.owner,
                    "row_now": now,
                    "row_until": now + LEASE,
                }
                for claim in first.values()
            ],
        )
        columns = (
            OUTBOX.c.key,
            OUTBOX.c.status,
            OUTBOX.c.message_id,
            OUTBOX.c.subject,
            OUTBOX.c.last_error,
            OUTBOX.c.task_id,
            OUTBOX.c.lease_owner,
        )
        found = {
            row.key: row
            for row in connection.execute(sa_select(*columns).where(OUTBOX.c.key.in_(keys)))
        }
        results = []
        for claim in claims:
            row = found[claim.key]
            leader = first[claim.key] is claim
            results.append(
                Claimed(
                    row.status,
                    row.message_id,
                    row.subject,
                    row.last_error,
                    row.task_id,
                    created=leader and claim.key in created,
                    leased=leader and row.lease_owner == claim.owner,
                )
            )
        return results

    def record_all(self, outcomes: Sequence[Outcome]) -> list[None]:
        """Count each attempt, keep its result and give its lease back."""
        now = datetime.now(UTC)
        statement = (
            update(OUTBOX)
            .where(OUTBOX.c.key == bindparam("row_key"))
            .values(
                attempts=OUTBOX.c.attempts + 1,
                subject=bindparam("row_subject"),
                status=bindparam("row_status"),
                last_error=bindparam("row_error"),
                sent_at=bindparam("row_sent_at"),
                lease_owner=None,
                lease_until=None,
            )
        )
        with self.sessions.writing() as connection:
            connection.execute(
                statement,
                [
                    {
                        "row_key": outcome.key,
                        "row_subject": outcome.subject,
                        "row_status": outcome.status,
                        "row_error": outcome.error,
                        "row_sent_at": now if outcome.status in ("sent", "grouped") else None,
                    }
                    for outcome in outcomes
                ],
            )
        return [None] * len(outcomes)
