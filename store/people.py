"""Who people are and which changes to them a plan import may only propose to an admin."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from domain.model import Role
from store.audit import note_change
from store.tables import Person, PersonProposal

# A plan import never creates or changes these people, nor gives anyone these roles.
PROTECTED_ROLES = frozenset({Role.admin.value, Role.direction.value})
LISTED_FIELDS = ("name", "email", "role", "locale", "digest_only")


def person_record(row: Person) -> dict[str, Any]:
    """The fields people and plan files state about a person."""
    return {
        "name": row.name,
        "email": row.email,
        "role": row.role,
        "locale": row.locale,
        "digest_only": row.digest_only,
        "active": row.active,
    }


def propose(
    session: Session, person_id: str, record: dict[str, Any], current: Person | None
) -> PersonProposal | None:
    """Keep one pending proposal per person; None when the listing is not new (or dismissed)."""
    latest = session.exec(
        select(PersonProposal)
        .where(PersonProposal.person_id == person_id)
        .order_by(col(PersonProposal.id).desc())
    ).first()
    if latest is not None and latest.record == record and latest.outcome != "accepted":
        return None
    proposal = latest if latest is not None and latest.settled_at is None else None
    proposal = proposal or PersonProposal(person_id=person_id)
    proposal.record = record
    proposal.current_role = current.role if current else None
    proposal.proposed_at = datetime.now(UTC)
    session.add(proposal)
    note_change(f"proposal/{person_id}", None, record)
    return proposal


def settle(session: Session, proposal: PersonProposal, by: str, outcome: str) -> None:
    note_change(f"proposal/{proposal.person_id}", {"outcome": None}, {"outcome": outcome})
    proposal.settled_by = by
    proposal.settled_at = datetime.now(UTC)
    proposal.outcome = outcome
    session.add(proposal)


def accept(session: Session, proposal: PersonProposal, by: str) -> Person:
    """Apply a proposal as listed (a new person starts active) and settle it."""
    stored = session.get(Person, proposal.person_id)
    before = person_record(stored) if stored else None
    row = stored or Person(id=proposal.person_id, name="", email="", role="")
    for name in LISTED_FIELDS:
        if name in proposal.record:
            setattr(row, name, proposal.record[name])
    session.add(row)
    note_change(f"person/{row.id}", before, person_record(row))
    settle(session, proposal, by, "accepted")
    return row
