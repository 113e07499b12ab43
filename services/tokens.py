"""API tokens: random, shown once, stored as a SHA-256 digest.

A token carries 256 random bits, so nobody can guess it from its digest faster than by trying
2^256 values: password stretching (argon2, bcrypt) protects low-entropy secrets and would only
slow every request here. The digest is what the database holds; the token is printed once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from store.access import access_changed
from store.audit import note_change
from store.tables import ApiToken, PageSession, Person

TOKEN_PREFIX = "bcl_"
# What `issue_token` makes: anything else is refused before any look-up.
TOKEN_SHAPE = re.compile(r"^bcl_[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class Bearer:
    """Who a valid token speaks for, and which token it was (for the audit trail)."""

    person: Person
    token_id: int
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def looks_like_token(text: str) -> bool:
    return TOKEN_SHAPE.fullmatch(text) is not None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, person_id: str, label: str | None = None, expires_at: datetime | None = None
) -> str:
    return issue_token(session, person_id, label, expires_at)[0]


def issue_token(
    session: Session, person_id: str, label: str | None = None, expires_at: datetime | None = None
) -> tuple[str, ApiToken]:
    """A new token (the only time it exists in clear) and its stored row."""
    if session.get(Person, person_id) is None:
        raise LookupError(f"unknown person: {person_id}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        person_id=person_id,
        token_hash=digest(token),
        label=label,
        created_at=datetime.now(UTC),
        expires_at=expires_at,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    note_change(f"token/{row.id}", None, _described(row), always=("person_id",))
    return token, row


def _described(row: ApiToken) -> dict[str, object]:
    """What the audit trail says about a token: whose it is and its dates, never its digest."""
    return {
        "person_id": row.person_id,
        "label": row.label,
        "expires_at": row.expires_at,
        "revoked_at": row.revoked_at,
    }


def revoke_token(session: Session, token_id: int) -> ApiToken | None:
    """Revoke a token; every API replica refuses it within a second (the access revision)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        return None
    if row.revoked_at is None:
        before = _described(row)
        row.revoked_at = datetime.now(UTC)
        session.add(row)
        access_changed(session)
        session.commit()
        note_change(f"token/{row.id}", before, _described(row), always=("person_id",))
        session.refresh(row)
    return row


def tokens_of(session: Session, person_id: str | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(col(ApiToken.id))
    if person_id is not None:
        query = query.where(ApiToken.person_id == person_id)
    return list(session.exec(query))


def bearer_for(session: Session, token: str) -> Bearer | None:
    """The active person a token belongs to, or None (unknown, revoked or expired)."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(token))).first()
    now = datetime.now(UTC)
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at < now):
        return None
    person = session.get(Person, row.person_id)
    if person is None or not person.active or row.id is None:
        return None
    return Bearer(person, row.id, row.expires_at)


def person_for(session: Session, token: str) -> Person | None:
    bearer = bearer_for(session, token)
    return bearer.person if bearer else None


DURATION = re.compile(r"^(\d+)([dwmy])$")
DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def expiry(text: str, now: datetime | None = None) -> datetime:
    """`90d`, `12w`, `6m`, `1y` from now, or an ISO 8601 date or instant."""
    now = now or datetime.now(UTC)
    match = DURATION.match(text.strip())
    if match:
        return now + timedelta(days=int(match.group(1)) * DAYS[match.group(2)])
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment <= now:
        raise ValueError(f"{text} is in the past")
    return moment


SESSION_PREFIX = "bcs_"
PAGE_SESSION_LIFETIME = timedelta(hours=8)  # a working day, then sign in again
PAGE_SESSION_IDLE = timedelta(hours=2)  # a browser left open ends its session by itself
SEEN_EVERY = timedelta(minutes=5)  # how stale last_seen_at may be before it is written again


def open_page_session(session: Session, bearer: Bearer) -> tuple[str, PageSession]:
    """A new page session for the token's person: its cookie value (shown once) and its row."""
    return _open(session, bearer.person.id, bearer.token_id, bearer.expires_at)


def open_person_session(session: Session, person_id: str) -> tuple[str, PageSession]:
    """A new page session for a person who followed their emailed sign-in link."""
    return _open(session, person_id, None, None)


def _open(
    session: Session, person_id: str, token_id: int | None, token_expires: datetime | None
) -> tuple[str, PageSession]:
    secret = SESSION_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    until = now + PAGE_SESSION_LIFETIME
    row = PageSession(
        secret_hash=digest(secret),
        person_id=person_id,
        token_id=token_id,
        created_at=now,
        last_seen_at=now,
        expires_at=min(until, token_expires) if token_expires else until,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    note_change(
        f"page_session/{row.id}",
        None,
        {"person_id": row.person_id, "token_id": row.token_id, "expires_at": row.expires_at},
    )
    return secret, row


def page_session_person(session: Session, secret: str) -> Person | None:
    """The active person of a live page session: not closed, expired or idle, its token valid."""
    if not secret.startswith(SESSION_PREFIX) or len(secret) > 100:
        return None
    row = session.exec(select(PageSession).where(PageSession.secret_hash == digest(secret))).first()
    now = datetime.now(UTC)
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    seen = row.last_seen_at or row.created_at or now
    if now - seen > PAGE_SESSION_IDLE:
        return None
    if row.token_id is not None:
        token = session.get(ApiToken, row.token_id)
        if token is None or token.revoked_at is not None:
            return None
    person = session.get(Person, row.person_id)
    if person is None or not person.active:
        return None
    if now - seen > SEEN_EVERY:
        row.last_seen_at = now
        session.add(row)
        session.commit()
    return person


def close_page_session(session: Session, secret: str) -> PageSession | None:
    """End a page session (logging out): its cookie no longer opens any page."""
    row = session.exec(select(PageSession).where(PageSession.secret_hash == digest(secret))).first()
    if row is None or row.revoked_at is not None:
        return row
    row.revoked_at = datetime.now(UTC)
    session.add(row)
    session.commit()
    note_change(f"page_session/{row.id}", {"revoked_at": None}, {"revoked_at": row.revoked_at})
    return row
