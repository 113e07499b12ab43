"""API tokens: random, shown once, stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlmodel import Session, select

from store.tables import ApiToken, Person

TOKEN_PREFIX = "bcl_"


def digest(token: str) -> str:
    # Tokens carry 256 random bits: a fast hash is enough, no password stretching needed.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, person_id: str, label: str | None = None, expires_at: datetime | None = None
) -> str:
    if session.get(Person, person_id) is None:
        raise LookupError(f"unknown person: {person_id}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            person_id=person_id,
            token_hash=digest(token),
            label=label,
            created_at=datetime.now(UTC),
            expires_at=expires_at,
        )
    )
    session.commit()
    return token


def person_for(session: Session, token: str) -> Person | None:
    """The active person a token belongs to, or None (unknown, revoked or expired)."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(token))).first()
    now = datetime.now(UTC)
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at < now):
        return None
    person = session.get(Person, row.person_id)
    return person if person is not None and person.active else None
