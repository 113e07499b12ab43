"""The calendar feeds' table is what migration 0007 creates, and keeps no secret in clear."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from store.database import SessionFactory


def test_migration_0007_creates_the_feed_table_as_the_model_says(sessions: SessionFactory) -> None:
    with sessions.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [change for change in differences if "calendarfeed" in repr(change)] == []
