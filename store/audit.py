"""The audit trail as the store keeps it: one chain of rows, each sealed with the one before.

A row's hash covers what it says and the previous row's hash, so changing, removing or
reordering any row breaks every hash after it. Writers (API replicas, the command line)
append one at a time: each first updates the chain's head row, which takes SQLite's write
lock or PostgreSQL's row lock until its commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from store.database import SessionFactory
from store.tables import AuditChain, AuditEntry

GENESIS = "0" * 64  # the "previous hash" of the first row
LARGEST_CHANGES = 500  # objects listed in one row; a first import of 500 people fits

Changes = dict[str, dict[str, list[Any]]]  # object → field → [before, after]
_recording: ContextVar[Changes | None] = ContextVar("audit_changes", default=None)


@contextmanager
def recording() -> Iterator[Changes]:
    """Collect what the writes made inside this block change, for its audit row."""
    changes: Changes = {}
    token = _recording.set(changes)
    try:
        yield changes
    finally:
        _recording.reset(token)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def note_change(
    name: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    always: tuple[str, ...] = (),
) -> None:
    """Remember which fields of object `name` changed, and the `always` ones (a token's owner)."""
    changes = _recording.get()
    if changes is None:
        return
    fields = {
        field: [_plain((before or {}).get(field)), _plain((after or {}).get(field))]
        for field in {*(before or {}), *(after or {})}
    }
    changed = {field: pair for field, pair in fields.items() if pair[0] != pair[1]}
    if not changed or (name not in changes and len(changes) >= LARGEST_CHANGES):
        return
    kept = {**{field: fields[field] for field in always if field in fields}, **changed}
    noted = changes.setdefault(name, {})
    for field, (old, new) in kept.items():
        noted[field] = [noted[field][0] if field in noted else old, new]


SEALED = (
    "sequence",
    "at",
    "person_id",
    "token_id",
    "origin",
    "method",
    "path",
    "action",
    "target",
    "status",
    "changes",
    "previous_hash",
)


def entry_hash(entry: AuditEntry | Mapping[str, Any]) -> str:
    """The SHA-256 of a row's sealed fields in canonical JSON."""
    get = entry.get if isinstance(entry, Mapping) else lambda name: getattr(entry, name)
    fields = {name: _plain(get(name)) for name in SEALED}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def append(sessions: SessionFactory, entry: AuditEntry) -> AuditEntry:
    """Seal `entry` onto the end of the chain and commit it."""
    with sessions() as session:
        # First statement of the transaction: the head's lock queues every other writer.
        moved = session.execute(
            update(AuditChain)
            .where(col(AuditChain.id) == 1)
            .values(length=col(AuditChain.length) + 1)
        )
        head = session.get(AuditChain, 1, populate_existing=True)
        if moved.rowcount != 1 or head is None:  # type: ignore[attr-defined]
            raise RuntimeError("the audit chain has no head row: run the migrations")
        entry.sequence = head.length
        entry.previous_hash = head.last_hash
        entry.hash = entry_hash(entry)
        head.last_hash = entry.hash
        session.add(entry)
        session.add(head)
        session.commit()
        session.refresh(entry)
    return entry


@dataclass(frozen=True)
class ChainBreak:
    """The first row where the chain does not hold, and why (a stable code)."""

    sequence: int | None
    entry_id: int | None
    reason: str  # unsealed missing unlinked altered truncated


def verify_chain(session: Session) -> tuple[int, ChainBreak | None]:
    """How many rows hold together from the first, and the first break if there is one."""
    unsealed = session.exec(
        select(AuditEntry).where(col(AuditEntry.sequence).is_(None)).order_by(col(AuditEntry.id))
    ).first()
    if unsealed is not None:
        return 0, ChainBreak(None, unsealed.id, "unsealed")
    previous, count = GENESIS, 0
    rows = session.exec(
        select(AuditEntry).order_by(col(AuditEntry.sequence)).execution_options(yield_per=1000)
    )
    for entry in rows:
        if entry.sequence != count + 1:
            return count, ChainBreak(count + 1, entry.id, "missing")
        if entry.previous_hash != previous:
            return count, ChainBreak(entry.sequence, entry.id, "unlinked")
        if entry_hash(entry) != entry.hash:
            return count, ChainBreak(entry.sequence, entry.id, "altered")
        previous, count = entry.hash or "", count + 1
    head = session.get(AuditChain, 1)
    if head is None or head.length != count or head.last_hash != previous:
        return count, ChainBreak(count + 1, None, "truncated")
    return count, None
