"""Commands that talk to Temporal exit with their own status, every time, and processes that
start together on a fresh store never race each other."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from temporalio.testing import WorkflowEnvironment

from boucle.temporal import build_worker, mailer_for
from store.database import SessionFactory, make_engine, migrate
from tests.integration.conftest import Inbox, free_port
from tests.integration.test_dev_server import settings_for, soon_plan

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROUNDS = 20


def environment_for(settings_database: str, dev_server: WorkflowEnvironment, **extra: str):  # noqa: ANN201
    return {
        **os.environ,
        "BOUCLE_DATABASE_URL": settings_database,
        "BOUCLE_TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
        "BOUCLE_TEMPORAL_NAMESPACE": dev_server.client.namespace,
        "BOUCLE_SCHEDULER": "false",
        **extra,
    }


async def command(environment: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "boucle.cli",
        *args,
        env=environment,
        stdout=asyncio.subprocess.PIPE,  # a pipe: what a script or a cron job reads
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_import_submit_and_approve_exit_0_and_print_their_confirmation_every_time(
    dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    port = free_port()  # a mailbox of its own: the session's inbox belongs to other tests
    mailbox = Controller(Inbox(), hostname="127.0.0.1", port=port)
    mailbox.start()
    settings = settings_for(dev_server, tmp_path, port, "it-commands")
    engine = make_engine(settings.database)
    migrate(engine)
    environment = environment_for(
        settings.database,
        dev_server,
        BOUCLE_DATA_DIR=str(tmp_path),
        BOUCLE_TASK_QUEUE=settings.task_queue,
        BOUCLE_SMTP_PORT=str(port),
    )
    year = datetime.now(UTC).astimezone().year
    gate = asyncio.Semaphore(2)  # two at a time on two cores

    async def one_year(number: int) -> list[tuple[str, int, str, str]]:
        portfolio = f"cli{number:02d}"
        plan = tmp_path / f"{portfolio}.yaml"
        plan.write_text(soon_plan(datetime.now(UTC), portfolio))
        runs = []
        async with gate:
            for args in (
                ("plan", "import", str(plan), "--as", "qdd"),
                ("plan", "submit", portfolio, str(year), "--as", "qdd"),
                ("plan", "approve", portfolio, str(year), "--as", "dgs"),
            ):
                runs.append((args[1], *await command(environment, *args)))
        return runs

    with ThreadPoolExecutor(8) as executor:
        async with build_worker(
            dev_server.client, settings, SessionFactory(engine), mailer_for(settings), executor
        ):
            results = await asyncio.gather(*(one_year(n) for n in range(ROUNDS)))
    mailbox.stop()
    confirmations = {
        "import": "v1 (nouvelle version), cycle démarré",
        "submit": "soumis (2 occurrences)",
        "approve": "approuvé par dgs",
    }
    for number, runs in enumerate(results):
        for name, code, out, err in runs:
            assert code == 0, f"{name} of cli{number:02d} exited {code}: {err}"
            assert f"cli{number:02d}/{year} : {confirmations[name]}" in out, (name, out, err)


@pytest.fixture
def fresh_stores(tmp_path: Path) -> Iterator[list[str]]:
    """Ten fresh SQLite stores, and ten fresh PostgreSQL schemas when PostgreSQL is here."""
    stores = [f"sqlite:///{tmp_path / f'race-{n}' / 'boucle.db'}" for n in range(10)]
    schemas = []
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        admin = make_engine(url)
        for _ in range(10):
            schema = f"boucle_race_{uuid.uuid4().hex[:10]}"
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            schemas.append(schema)
            stores.append(f"{url}?options=-csearch_path%3D{schema}")
    yield stores
    if url:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def test_worker_api_and_import_started_at_the_same_instant_on_a_fresh_store(
    dev_server: WorkflowEnvironment, tmp_path: Path, fresh_stores
) -> None:
    smtp_port = free_port()  # nothing listens: no plan here sends anything in the seconds it runs
    for number, database in enumerate(fresh_stores):
        folder = tmp_path / f"round-{number}"
        folder.mkdir()
        plan = folder / "plan.yaml"
        plan.write_text(soon_plan(datetime.now(UTC), f"race{number:02d}"))
        api_port = free_port()
        environment = environment_for(
            database,
            dev_server,
            BOUCLE_DATA_DIR=str(folder),
            BOUCLE_TASK_QUEUE=f"it-race-{number}",
            BOUCLE_SMTP_PORT=str(smtp_port),
            BOUCLE_API_PORT=str(api_port),
        )

        def start(*args: str, environment: dict[str, str] = environment) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "boucle.cli", *args],
                env=environment,
                start_new_session=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )

        worker, api, importer = start("worker"), start("api"), start("plan", "import", str(plan))
        try:
            out, err = await asyncio.get_running_loop().run_in_executor(
                None, importer.communicate, None, 60
            )
            assert importer.returncode == 0, (database, err.decode())
            assert "cycle démarré" in out.decode()
            healthy = False
            deadline = time.monotonic() + 30
            async with httpx.AsyncClient() as client:
                while not healthy and time.monotonic() < deadline:
                    try:
                        answer = await client.get(f"http://127.0.0.1:{api_port}/health")
                        healthy = answer.status_code == 200
                    except httpx.HTTPError:
                        await asyncio.sleep(0.2)
            assert healthy, (database, api.poll())
            assert worker.poll() is None, (database, worker.stderr.read().decode())  # type: ignore[union-attr]
        finally:
            for process in (worker, api):
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            codes = [process.wait(timeout=30) for process in (worker, api)]
        # The worker stops cleanly (0); uvicorn, once it has shut down, ends by the signal.
        assert codes[0] == 0 and codes[1] in (0, -signal.SIGTERM), (database, codes)
