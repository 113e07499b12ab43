"""The access revision: every API replica's token cache compares it with what it holds."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from store.tables import AccessRevision, Person


def access_changed(session: Session) -> None:
    """Bump the revision in the caller's transaction: it commits with the change it announces."""
    # One atomic increment: two changes committed at once still make two revisions.
    bumped = session.execute(
        update(AccessRevision)
        .where(col(AccessRevision.id) == 1)
        .values(revision=col(AccessRevision.revision) + 1)
    )
    if bumped.rowcount == 0:  # type: ignore[attr-defined]
        session.add(AccessRevision(id=1, revision=1))


def access_revision(session: Session) -> int:
    row = session.get(AccessRevision, 1, populate_existing=True)
    return row.revision if row is not None else 0


def people_changed(session: Session) -> bool:
    """Whether the session holds a new or changed person (a plan import touches many)."""
    return any(isinstance(row, Person) for row in session.new) or any(
        isinstance(row, Person) and session.is_modified(row) for row in session.dirty
    )
