"""The outbox: one row per message, written before the SMTP call, updated after it.

When a thousand reminders fall due at the same minute, a commit per message and per status
is what limits a worker. Claims and outcomes that arrive while a write is under way are
written together in the next transaction (group commit): a quiet worker still writes each
message at once, a busy one writes a few hundred per commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy import bindparam, update
from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from store.database import SessionFactory
from store.tables import Notification

OUTBOX = Notification.__table__  # type: ignore[attr-defined]
LARGEST_BATCH = 500  # keeps a statement's parameter list well under every database's limit

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Claim:
    """What the outbox needs to know about a message before it is sent."""

    key: str
    type: str
    task_id: str | None
    cycle_id: str | None
    person_id: str
    email: str
    message_id: str
    scheduled_at: datetime


@dataclass(frozen=True)
class Claimed:
    """The outbox row of a message, as the claim found or wrote it."""

    status: str
    message_id: str
    subject: str
    last_error: str | None
    task_id: str | None = None  # the task whose message wrote the row
    created: bool = False  # written by this very claim


@dataclass(frozen=True)
class Outcome:
    """What happened to one attempt to send a message."""

    key: str
    subject: str
    status: str  # sent, pending (will be retried) or failed (refused for good)
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
        """Write the rows that do not exist yet; existing rows are returned as they stand."""
        try:
            with self.sessions.engine.begin() as connection:
                return self._claim_in(connection, claims)
        except IntegrityError:
            # Another worker claimed one of them between our read and our write: read again.
            with self.sessions.engine.begin() as connection:
                return self._claim_in(connection, claims)

    def _claim_in(self, connection: Connection, claims: Sequence[Claim]) -> list[Claimed]:
        columns = (
            OUTBOX.c.key,
            OUTBOX.c.status,
            OUTBOX.c.message_id,
            OUTBOX.c.subject,
            OUTBOX.c.last_error,
            OUTBOX.c.task_id,
        )
        keys = list({claim.key for claim in claims})
        found = {
            row.key: Claimed(row.status, row.message_id, row.subject, row.last_error, row.task_id)
            for row in connection.execute(sa_select(*columns).where(OUTBOX.c.key.in_(keys)))
        }
        now = datetime.now(UTC)
        new_rows: dict[str, dict[str, object]] = {}
        for claim in claims:
            if claim.key in found or claim.key in new_rows:
                continue
            new_rows[claim.key] = {
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
        if new_rows:
            connection.execute(sa_insert(OUTBOX), list(new_rows.values()))
        results = []
        for claim in claims:
            if claim.key in found:
                results.append(found[claim.key])
                continue
            row = new_rows[claim.key]
            # Two claims of one key in a batch: the first one wrote the row, not the second.
            first = row.pop("claimed", None) is None
            row["claimed"] = True
            writer = row["task_id"]
            results.append(
                Claimed(
                    "pending",
                    str(row["message_id"]),
                    "",
                    None,
                    writer if isinstance(writer, str) else None,
                    first,
                )
            )
        return results

    def record_all(self, outcomes: Sequence[Outcome]) -> list[None]:
        """Count each attempt and keep its result (several attempts of one key add up)."""
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
            )
        )
        with self.sessions.engine.begin() as connection:
            connection.execute(
                statement,
                [
                    {
                        "row_key": outcome.key,
                        "row_subject": outcome.subject,
                        "row_status": outcome.status,
                        "row_error": outcome.error,
                        "row_sent_at": now if outcome.status == "sent" else None,
                    }
                    for outcome in outcomes
                ],
            )
        return [None] * len(outcomes)
