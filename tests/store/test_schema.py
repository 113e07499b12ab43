"""The schema migrates on every backend and keeps what the engine relies on."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from store.database import SessionFactory, migrate
from store.tables import Notification, Task


def test_migrations_create_every_table_and_are_idempotent(sessions: SessionFactory) -> None:
    migrate(sessions.engine)  # a second run is a no-op
    tables = set(inspect(sessions.engine).get_table_names())
    assert {
        "organisation",
        "person",
        "portfolio",
        "indicator",
        "indicatorvalue",
        "planversion",
        "cycle",
        "task",
        "taskperson",
        "notification",
        "apitoken",
        "alembic_version",
    } <= tables


def test_instants_come_back_as_the_same_utc_instant(sessions: SessionFactory) -> None:
    paris_winter = timezone(timedelta(hours=1))
    due = datetime(2027, 3, 16, 14, 0, tzinfo=paris_winter)
    with sessions() as session:
        session.add(
            Task(
                id="p/2027/f/2027-03-16",
                cycle_id="p/2027",
                portfolio="p",
                year=2027,
                item="f",
                kind="training_session",
                title="Formation",
                due_at=due,
                original_at=due,
                assignees=["a"],
            )
        )
        session.commit()
    with sessions() as session:
        task = session.exec(select(Task)).one()
        assert task.due_at == due
        assert task.due_at.utcoffset() == timedelta(0)
        assert task.due_at.hour == 13
        assert task.assignees == ["a"]


def test_outbox_key_is_unique(sessions: SessionFactory) -> None:
    def row() -> Notification:
        return Notification(
            key="t|reminder|2027-01-01T08:00:00+00:00|resto",
            type="reminder",
            person_id="resto",
            email="r@example.org",
            message_id="<x@b>",
        )

    with sessions() as session:
        session.add(row())
        session.commit()
    with sessions() as session, pytest.raises(IntegrityError):
        session.add(row())
        session.commit()
