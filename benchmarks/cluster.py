"""A burst of 1,000 reminders through `boucle worker` processes (one, then two) beside the naive
shape with as many processes, on one dev server in one run; the delay from each reminder's
instant to its SMTP acceptance (p50, p99); the workers' /metrics scraped during the burst.

Run by `make bench` (`python -m benchmarks.cluster`). PostgreSQL when BOUCLE_BENCH_DATABASE_URL
or TEST_DATABASE_URL names one (a schema of its own, dropped after), SQLite otherwise.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from benchmarks.engine import cpu_seconds, free_port
from benchmarks.region_plan import region_plan
from domain.tasks import Task
from domain.validation import load_plan
from services.settings import Settings, process_environment
from store.database import SessionFactory, make_engine, migrate
from store.plans import save_organisation
from workflows.common import CYCLE_PHASE, CYCLE_YEAR, PORTFOLIO
from workflows.converter import DATA_CONVERTER
from workflows.task import TaskWorkflow
from workflows.types import TaskInput, task_workflow_id

BURST = 1000
LEAD = timedelta(seconds=45)  # starting a thousand workflows takes a while on two cores


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def scrape(port: int) -> str:
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


def metric_summary(body: str) -> str:
    """What a worker's /metrics says of the burst: reminders sent, the delay histogram."""
    values = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == "boucle_notifications_sent_total":
                if sample.labels.get("type") == "reminder":
                    values["sent"] = sample.value
            elif sample.name == "boucle_notification_delay_seconds_bucket":
                values[sample.labels["le"]] = sample.value
    buckets = ", ".join(
        f"≤ {bound} s: {values.get(bound + '.0', values.get(bound, 0)):.0f}"
        for bound in ("1", "5", "10", "30")
    )
    return (
        f'boucle_notifications_sent_total{{type="reminder"}} {values.get("sent", 0):.0f}; '
        f"boucle_notification_delay_seconds {buckets}, in all {values.get('+Inf', 0):.0f}"
    )


class Store:
    """The benchmark's store: a PostgreSQL schema of its own, or a SQLite file."""

    def __init__(self, folder: Path) -> None:
        server = os.environ.get("BOUCLE_BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        self.schema = f"boucle_bench_{uuid.uuid4().hex[:8]}" if server else None
        self.server = server
        if server:
            admin = make_engine(server)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            admin.dispose()
            self.url = f"{server}?options=-csearch_path%3D{self.schema}"
            self.kind = "PostgreSQL"
        else:
            self.url = f"sqlite:///{folder / 'bench.db'}"
            self.kind = "SQLite"
        self.engine = make_engine(self.url)
        migrate(self.engine)
        self.sessions = SessionFactory(self.engine)

    def sent(self, prefix: str) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT count(*) FROM notification WHERE status = 'sent' "
                        "AND type = 'reminder' AND task_id LIKE :prefix"
                    ),
                    {"prefix": prefix + "%"},
                ).scalar_one()
            )

    def delays(self, prefix: str) -> list[float]:
        """Seconds from each reminder's instant to the outbox marking it sent (just after SMTP)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT scheduled_at, sent_at FROM notification WHERE status = 'sent' "
                    "AND type = 'reminder' AND task_id LIKE :prefix"
                ),
                {"prefix": prefix + "%"},
            ).all()

        def utc(moment: datetime) -> datetime:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

        return [(utc(sent) - utc(scheduled)).total_seconds() for scheduled, sent in rows]

    def drop(self) -> None:
        self.engine.dispose()
        if self.server and self.schema:
            admin = make_engine(self.server)
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            admin.dispose()


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


async def boucle_burst(
    client: Client, store: Store, settings: Settings, processes: int, sandbox: bool = True
) -> tuple[str, list[str]]:
    """BURST reminders due at one second through `processes` worker processes."""
    queue = f"bench-{processes}w-{uuid.uuid4().hex[:4]}"
    ports = [free_port() for _ in range(processes)]
    environment = process_environment(
        settings.model_copy(update={"task_queue": queue}),
        BOUCLE_WORKFLOW_SANDBOX=str(sandbox).lower(),
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "boucle.cli", "worker"],
            env={**environment, "BOUCLE_WORKER_METRICS_PORT": str(port)},
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        document = load_plan(region_plan(portfolios=1, items_per_portfolio=8))
        buyers = [p.id for p in document.people if p.role.value == "buyer"]
        fire_at = (datetime.now(UTC) + LEAD).replace(microsecond=0)
        due = fire_at + timedelta(hours=1)
        prefix = f"{queue}/"
        policy = document.policy_for_defaults().model_copy(
            update={"before": ("PT1H",), "on_due": False, "overdue": (), "escalate_after": None}
        )
        holidays = cycle_holidays(document.organisation, due.year)
        starts = []
        for number in range(BURST):
            task = Task(
                id=f"{prefix}{due.year}/rappel-{number:04d}/{due.date().isoformat()}",
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
            starts.append(
                client.start_workflow(
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
                    task_queue=queue,
                )
            )
        await asyncio.gather(*starts)
        await asyncio.sleep(max(0.0, (fire_at - datetime.now(UTC)).total_seconds()))
        cpu_before = sum(cpu_seconds(w.pid) for w in workers)
        started = time.perf_counter()
        scraped: list[str] = []
        while (sent := store.sent(prefix)) < BURST and time.perf_counter() - started < 600:
            if not scraped and sent >= BURST // 2:
                for number, port in enumerate(ports, 1):
                    summary = metric_summary(await asyncio.to_thread(scrape, port))
                    scraped.append(f"  /metrics of worker {number} at {sent} sent: {summary}")
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
        cpu = sum(cpu_seconds(w.pid) for w in workers) - cpu_before
        delays = store.delays(prefix)
        return (
            f"Boucle, {processes} worker process{'es' if processes > 1 else ''}"
            f"{'' if sandbox else ', sandbox off'}: {sent} "
            f"reminders in {elapsed:.1f} s = {sent / elapsed:.0f}/s; from instant to SMTP "
            f"acceptance p50 {percentile(delays, 0.5):.1f} s, p99 {percentile(delays, 0.99):.1f} s"
            f"; worker CPU {cpu / max(sent, 1) * 1000:.1f} ms per reminder",
            scraped,
        )
    finally:
        stop(workers)


async def naive_burst(client: Client, processes: int) -> str:
    """The same burst in the naive shape: a sleep and one do-nothing activity per workflow."""
    from benchmarks import naive

    queue = f"naive-{processes}w-{uuid.uuid4().hex[:4]}"
    target = client.service_client.config.target_host
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.naive", target, client.namespace, queue],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(processes)
    ]
    try:
        fire_at = (datetime.now(UTC) + LEAD).replace(microsecond=0)
        await asyncio.gather(
            *(
                client.start_workflow(
                    naive.NaiveReminder.run,
                    fire_at,
                    id=f"{queue}-{number}",
                    task_queue=queue,
                )
                for number in range(BURST)
            )
        )
        await asyncio.sleep(max(0.0, (fire_at - datetime.now(UTC)).total_seconds()))
        started = time.perf_counter()
        query = f"WorkflowId STARTS_WITH '{queue}-' AND ExecutionStatus = 'Completed'"
        done = 0
        while done < BURST and time.perf_counter() - started < 600:
            await asyncio.sleep(0.25)
            done = (await client.count_workflows(query)).count
        elapsed = time.perf_counter() - started
        return (
            f"naive shape, {processes} worker process{'es' if processes > 1 else ''}: {done} "
            f"workflows done in {elapsed:.1f} s = {done / elapsed:.0f}/s"
        )
    finally:
        stop(workers)


async def main(sandbox_ab: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="boucle-bench-cluster-"))
    smtp_port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}"]
        + ["-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    store = Store(folder)
    namespace = f"bench-{uuid.uuid4().hex[:6]}"
    scripts = Path(__import__("sysconfig").get_path("scripts"))
    try:
        async with await WorkflowEnvironment.start_local(
            namespace=namespace,
            port=free_port(),
            ui=False,
            data_converter=DATA_CONVERTER,
            dev_server_existing_path=str(scripts / "temporal"),
            dev_server_log_level="never",
            search_attributes=[PORTFOLIO, CYCLE_YEAR, CYCLE_PHASE],
        ) as env:
            settings = Settings(
                data_dir=folder,
                database_url=store.url,
                temporal_address=env.client.service_client.config.target_host,
                temporal_namespace=namespace,
                smtp_port=smtp_port,
                scheduler=False,
            )
            with store.sessions() as session:
                save_organisation(session, load_plan(region_plan(1, 8)))  # the recipients
                session.commit()
            print(
                f"burst of {BURST} reminders due at one second, one dev server, {store.kind}, "
                f"{os.cpu_count()} cores; sandbox on, sends on the mail queue, outbox on",
                flush=True,
            )
            for processes in (1, 2):
                line, scraped = await boucle_burst(env.client, store, settings, processes)
                print(line, flush=True)
                for scraped_line in scraped:
                    print(scraped_line, flush=True)
                print(await naive_burst(env.client, processes), flush=True)
            if sandbox_ab:  # what the sandbox costs, measured beside it (it stays on)
                line, _ = await boucle_burst(env.client, store, settings, 1, sandbox=False)
                print(line, flush=True)
    finally:
        store.drop()
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(main(sandbox_ab="--sandbox-ab" in sys.argv))
    sys.stdout.flush()
    os._exit(0)  # the Temporal runtime's threads can abort a normal exit (sdk-python #300)
