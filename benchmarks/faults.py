"""What faults cost: a worker killed (SIGKILL) in the middle of a burst, and commands that
must exit with their own status however often they run."""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client

from activities.calendar import cycle_holidays
from benchmarks.region_plan import region_plan
from domain.tasks import Task
from domain.validation import load_plan
from services.settings import Settings, process_environment
from store.database import SessionFactory
from store.plans import save_organisation
from workflows.task import TaskWorkflow
from workflows.types import TaskInput, task_workflow_id


async def start_reminders(
    client: Client, sessions: SessionFactory, settings: Settings, count: int, label: str
) -> datetime:
    """`count` reminders falling due at the same second; the instant they fall."""
    document = load_plan(region_plan(portfolios=1, items_per_portfolio=8))
    with sessions() as session:
        save_organisation(session, document)
        session.commit()
    fire_at = (datetime.now(UTC) + timedelta(seconds=40)).replace(microsecond=0)
    due = fire_at + timedelta(hours=1)
    buyers = [p.id for p in document.people if p.role.value == "buyer"]
    policy = document.policy_for_defaults().model_copy(
        update={"before": ("PT1H",), "on_due": False, "overdue": (), "escalate_after": None}
    )
    holidays = cycle_holidays(document.organisation, due.year)
    gate = asyncio.Semaphore(50)

    async def start(number: int) -> None:
        task = Task(
            id=f"{label}/{due.year}/rappel-{number:04d}/{due.date().isoformat()}",
            portfolio="portefeuille-000",
            year=due.year,
            item=f"rappel-{number:04d}",
            kind="action",
            title=f"Action {number}",
            due=due,
            original=due,
            assignees=(buyers[number % len(buyers)],),
            policy=policy,
        )
        async with gate:
            await client.start_workflow(
                TaskWorkflow.run,
                TaskInput(
                    task=task,
                    organisation=document.organisation,
                    holidays=holidays,
                    officers=("qdd",),
                    assignable=tuple(buyers),
                    execution_start=datetime.now(UTC),
                    closes_at=due + timedelta(minutes=5),
                ),
                id=task_workflow_id(task.id),
                task_queue=settings.task_queue,
            )

    await asyncio.gather(*(start(number) for number in range(count)))
    return fire_at


def sent_reminders(database: Path, label: str) -> set[str]:
    connection = sqlite3.connect(str(database))
    try:
        rows = connection.execute(
            "SELECT message_id FROM notification WHERE status = 'sent' AND task_id LIKE ?",
            (f"{label}/%",),
        ).fetchall()
    finally:
        connection.close()
    return {row[0] for row in rows}


async def bench_kills(
    client: Client, sessions: SessionFactory, settings: Settings, runs: int = 5, count: int = 1000
) -> list[str]:
    """A burst of `count` reminders; the worker is killed (SIGKILL) right after the SMTP server
    accepted a message picked at random, then started again: nothing may be lost."""
    database = Path(settings.database.split("///", 1)[1])
    lines = []
    rng = random.Random(42)
    for run in range(runs):
        label = f"panne{run}"
        folder = settings.data_dir / label
        folder.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        received = folder / "received.txt"
        sink = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.smtp_sink", str(port), str(received)]
        )
        queue = settings.model_copy(update={"task_queue": f"bench-{label}"})
        environment = process_environment(queue, BOUCLE_SMTP_PORT=str(port))
        kill_after = rng.randrange(count // 10, count * 9 // 10)
        log = folder / "sends.log"
        crashing = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.crashing_worker", str(kill_after), str(log)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await start_reminders(client, sessions, queue, count, label)
        await asyncio.get_running_loop().run_in_executor(None, crashing.wait, 600)
        killed_at = time.perf_counter()
        started = {
            line.split(" ", 1)[1]
            for line in log.read_text().splitlines()
            if line.startswith("start ")
        }
        marked = sent_reminders(database, label)
        in_flight = started - marked
        restarted = subprocess.Popen(
            [sys.executable, "-m", "boucle.cli", "worker"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while (
            len(sent_reminders(database, label)) < count and time.perf_counter() - killed_at < 600
        ):
            await asyncio.sleep(0.5)
        recovered = time.perf_counter() - killed_at
        restarted.terminate()
        restarted.wait(timeout=60)
        await asyncio.sleep(1)
        sink.terminate()
        sink.wait(timeout=10)
        copies = Counter(received.read_text().split())
        sent = sent_reminders(database, label)
        lost = count - len(sent & set(copies))  # marked sent and received, or lost
        twice = {mid for mid, n in copies.items() if n > 1}
        lines.append(
            f"kill {run + 1}/{runs}: after the SMTP server accepted message {kill_after}; "
            f"in flight then {len(in_flight)}; all {count} delivered again within "
            f"{recovered:.0f} s; lost {lost}; received twice {len(twice)}, "
            f"{'every one in flight' if twice <= in_flight else 'NOT ALL IN FLIGHT'}"
        )
    return lines


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def bench_commands(settings: Settings, folder: Path, count: int = 200) -> str:
    """`plan import`, `plan submit` and `plan approve`, `count` times each, stdout a pipe."""
    from tests.integration.test_dev_server import soon_plan

    environment = process_environment(settings)
    worker = subprocess.Popen(
        [sys.executable, "-m", "boucle.cli", "worker"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    codes: Counter[tuple[str, int]] = Counter()
    confirmed: Counter[str] = Counter()
    year = datetime.now(UTC).year
    gate = asyncio.Semaphore(2)

    async def run(*args: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "boucle.cli",
            *args,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate()
        return process.returncode or 0, out.decode()

    async def one(number: int) -> None:
        portfolio = f"commande{number:03d}"
        plan = folder / f"{portfolio}.yaml"
        plan.write_text(soon_plan(datetime.now(UTC), portfolio))
        async with gate:
            for name, args, words in (
                ("import", ("plan", "import", str(plan), "--as", "qdd"), "cycle démarré"),
                ("submit", ("plan", "submit", portfolio, str(year), "--as", "qdd"), "soumis"),
                ("approve", ("plan", "approve", portfolio, str(year), "--as", "dgs"), "approuvé"),
            ):
                code, out = await run(*args)
                codes[(name, code)] += 1
                confirmed[name] += words in out

    started = time.perf_counter()
    try:
        await asyncio.gather(*(one(number) for number in range(count)))
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{name} exit {code}: {n}" for (name, code), n in sorted(codes.items()))
    return (
        f"{3 * count} commands in {elapsed:.0f} s, stdout a pipe: {summary}; confirmation "
        f"printed by import {confirmed['import']}, submit {confirmed['submit']}, approve "
        f"{confirmed['approve']} times"
    )
