"""The people directory as messages see it: one snapshot of the store, kept a few seconds."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from notifications.compose import Contact, Snapshot
from store.database import SessionFactory
from store.tables import Indicator, Organisation, Person, Portfolio

DIRECTORY_TTL = 30.0


def contact(person: Person) -> Contact:
    return Contact(
        id=person.id,
        name=person.name,
        email=person.email,
        role=person.role,
        locale=person.locale,
        digest_only=person.digest_only,
        active=person.active,
    )


def load_snapshot(session: Session) -> Snapshot:
    organisation = session.get(Organisation, 1)
    return Snapshot(
        organisation=organisation.name if organisation else "Boucle",
        zone=ZoneInfo(organisation.timezone if organisation else "Europe/Paris"),
        locale=organisation.locale if organisation else "fr",
        people={p.id: contact(p) for p in session.exec(select(Person))},
        portfolios={p.id: p.name for p in session.exec(select(Portfolio))},
        indicators={i.id: i.name for i in session.exec(select(Indicator))},
    )


class Directory:
    """Reference data, reloaded every few seconds or when a needed person is unknown."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self._snapshot: Snapshot | None = None
        self._expires = 0.0

    def snapshot(self, needed: list[str] | None = None) -> Snapshot:
        current = self._snapshot
        if (
            current is None
            or self._expires < time.monotonic()
            or not set(needed or ()) <= current.people.keys()
        ):
            with self.sessions() as session:
                current = load_snapshot(session)
            self._snapshot, self._expires = current, time.monotonic() + DIRECTORY_TTL
        return current
