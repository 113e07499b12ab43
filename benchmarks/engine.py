"""Engine figures on a real dev server: approvals, a burst of notices, GET /cycles latency."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from benchmarks.region_plan import region_plan
from boucle.temporal import build_worker, mailer_for, run_event_loop
from domain.tasks import Task as DomainTask
from domain.validation import load_plan
from services.plans import approve_plan, import_plans, submit_plan
from services.settings import Settings, process_environment
from store.database import SessionFactory, make_engine, migrate
from store.plans import save_organisation
from workflows.common import CYCLE_PHASE, CYCLE_YEAR, PORTFOLIO
from workflows.converter import DATA_CONVERTER
from workflows.task import TaskWorkflow
from workflows.types import TaskInput, task_workflow_id


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids() -> list[int]:
    """Processes this one started: the dev server, and the SMTP sink that callers leave out."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if parent == os.getpid():
                children.append(int(entry.name))
    return children


class CpuMeter:
    """CPU used by this process (the worker) and its children (the server) over a window.

    On a shared two-core machine the wall clock varies by half from one run to the next;
    CPU time per notification varies much less, so it is what tells a change's worth.
    """

    def __init__(self, exclude: frozenset[int]) -> None:
        self.others = [pid for pid in child_pids() if pid not in exclude]
        self.worker = cpu_seconds(os.getpid())
        self.server = sum(cpu_seconds(pid) for pid in self.others)

    def used(self) -> tuple[float, float]:
        return (
            cpu_seconds(os.getpid()) - self.worker,
            sum(cpu_seconds(pid) for pid in self.others) - self.server,
        )


async def started_workflows(client: Client, prefix: str) -> int:
    return (await client.count_workflows(f"WorkflowId STARTS_WITH '{prefix}'")).count


# Extra BOUCLE_* settings for the measured worker (`BOUCLE_BENCH_WORKER=KEY=VALUE,…`).
WORKER_OPTIONS = dict(
    option.split("=", 1)
    for option in os.environ.get("BOUCLE_BENCH_WORKER", "").split(",")
    if option
)


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_memory_mb(pid: int) -> float:
    """The highest resident memory a live process has had (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def bench_approval(
    client: Client, sessions: SessionFactory, settings: Settings, portfolios: int
) -> str:
    """The direction approves a région's plans at once: how long until every cycle executes
    with its first tasks started, and how much memory the worker's process needed."""
    import subprocess
    import sys

    from workflows.cycle import PortfolioCycleWorkflow
    from workflows.types import cycle_workflow_id

    year = datetime.now(UTC).year + 1
    document = load_plan(region_plan(portfolios=portfolios, year=year))
    document = document.model_copy(
        update={"plans": [plan.model_copy(update={"approve_by": None}) for plan in document.plans]}
    )
    tasks = sum(len(_tasks(document, plan)) for plan in document.plans)
    worker = subprocess.Popen(
        [sys.executable, "-m", "boucle.cli", "worker"],
        env=process_environment(settings, **WORKER_OPTIONS),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    spy = None
    if os.environ.get("BOUCLE_BENCH_PROFILE"):
        spy = subprocess.Popen(
            [
                "py-spy",
                "record",
                "-o",
                os.environ["BOUCLE_BENCH_PROFILE"],
                "-f",
                "raw",
                "-r",
                "50",
                "-p",
                str(worker.pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        await asyncio.sleep(3)
        print(f"  worker at rest: {memory_mb(worker.pid):.0f} MB", flush=True)
        imported = await import_plans(document, sessions, client, settings.task_queue, by="bench")
        for plan in imported:
            await submit_plan(client, plan.portfolio, plan.year, "qdd")
        await asyncio.sleep(2)  # the cycles have sent their approval requests
        print(
            f"  with 100 cycles waiting for approval: {memory_mb(worker.pid):.0f} MB "
            f"(peak so far {peak_memory_mb(worker.pid):.0f} MB)",
            flush=True,
        )
        server = [pid for pid in child_pids() if pid != worker.pid]
        cpu_before = cpu_seconds(worker.pid), sum(cpu_seconds(pid) for pid in server)
        started = time.perf_counter()
        await asyncio.gather(
            *(approve_plan(client, plan.portfolio, plan.year, "dgs") for plan in imported)
        )
        handles = [
            client.get_workflow_handle(cycle_workflow_id(plan.portfolio, plan.year))
            for plan in imported
        ]
        while True:
            views = await asyncio.gather(*(h.query(PortfolioCycleWorkflow.view) for h in handles))
            if all(v.phase == "executing" and v.launched_until is not None for v in views):
                break
            await asyncio.sleep(0.25)
        elapsed = time.perf_counter() - started
        running = sum(view.tasks_started for view in views)
        worker_cpu = cpu_seconds(worker.pid) - cpu_before[0]
        server_cpu = sum(cpu_seconds(pid) for pid in server) - cpu_before[1]
        print(
            f"  every cycle executing after {elapsed:.1f} s; CPU meanwhile: worker "
            f"{worker_cpu:.1f} s, Temporal server and SMTP sink {server_cpu:.1f} s",
            flush=True,
        )
        await asyncio.sleep(5)  # what the started tasks do next (their first timers)
        peak = peak_memory_mb(worker.pid)
    finally:
        if spy is not None:
            spy.send_signal(2)
            spy.wait(timeout=60)
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            print("  the worker did not stop within 60 s of SIGTERM: killed", flush=True)
            worker.kill()
            worker.wait()
    return (
        f"approval of {portfolios} portfolios ({tasks} tasks in the year): every cycle "
        f"executing, with the {running} task workflows whose first notice is within a week "
        f"started, {elapsed:.1f} s after the approvals (before: 208 s to start all 11,600); "
        f"peak memory of the worker's process {peak:.0f} MB (before: 825 MB)"
    )


def _tasks(document, plan) -> list[DomainTask]:  # noqa: ANN001
    from domain.tasks import plan_tasks

    return plan_tasks(document, plan)


async def bench_burst(
    client: Client,
    sessions: SessionFactory,
    settings: Settings,
    count: int,
    sink_pids: frozenset[int] = frozenset(),
) -> str:
    """`count` tasks whose reminder falls due at the same second, each to one buyer."""
    document = load_plan(region_plan(portfolios=1, items_per_portfolio=8))
    with sessions() as session:
        save_organisation(session, document)  # the recipients
        session.commit()
    organisation = document.organisation
    fire_at = (datetime.now(UTC) + timedelta(seconds=45)).replace(microsecond=0)
    due = fire_at + timedelta(hours=1)
    buyers = [p.id for p in document.people if p.role.value == "buyer"]
    queue_tasks = []
    for number in range(count):
        task = DomainTask(
            id=f"rafale/{due.year}/rappel-{number:04d}/{due.date().isoformat()}",
            portfolio="portefeuille-000",
            year=due.year,
            item=f"rappel-{number:04d}",
            kind="action",
            title=f"Action {number}",
            due=due,
            original=due,
            assignees=(buyers[number % len(buyers)],),
            policy=document.policy_for_defaults().model_copy(
                update={"before": ("PT1H",), "on_due": False, "overdue": (), "escalate_after": None}
            ),
        )
        queue_tasks.append(task)
    holidays = cycle_holidays(organisation, due.year)
    await asyncio.gather(
        *(
            client.start_workflow(
                TaskWorkflow.run,
                TaskInput(
                    task=task,
                    organisation=organisation,
                    holidays=holidays,
                    officers=("qdd",),
                    assignable=tuple(buyers),
                    execution_start=datetime.now(UTC),
                    closes_at=due + timedelta(minutes=5),
                ),
                id=task_workflow_id(task.id),
                task_queue=settings.task_queue,
            )
            for task in queue_tasks
        )
    )

    # Polled ten times a second in the worker's own process: a bare sqlite3 count keeps the
    # measuring from taking the interpreter away from the worker it measures.
    database = sqlite3.connect(str(settings.data_dir / "bench.db"))

    def delivered() -> int:
        (count,) = database.execute(
            "SELECT count(*) FROM notification WHERE status = 'sent' AND type = 'reminder'"
        ).fetchone()
        return int(count)

    await asyncio.sleep(max(0.0, (fire_at - datetime.now(UTC)).total_seconds()))
    meter = CpuMeter(exclude=sink_pids)
    started = time.perf_counter()
    while delivered() < count and time.perf_counter() - started < 600:
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - started
    worker_cpu, server_cpu = meter.used()
    sent = delivered()
    return (
        f"{count} reminders due at the same second: {sent} sent (SMTP accepted, outbox "
        f"marked) in {elapsed:.1f} s = {sent / elapsed:.0f} notifications/s; CPU per "
        f"notification: worker {worker_cpu / sent * 1000:.1f} ms, Temporal server "
        f"{server_cpu / sent * 1000:.1f} ms"
    )


async def bench_naive(client: Client, count: int) -> str:
    """The same burst with one do-nothing regular activity per workflow, default worker."""
    from temporalio.worker import Worker

    from benchmarks import naive

    naive.done = 0
    fire_at = (datetime.now(UTC) + timedelta(seconds=45)).replace(microsecond=0)
    async with Worker(
        client,
        task_queue="naive",
        workflows=[naive.NaiveReminder],
        activities=[naive.do_nothing],
    ):
        await asyncio.gather(
            *(
                client.start_workflow(
                    naive.NaiveReminder.run, fire_at, id=f"naive-{number}", task_queue="naive"
                )
                for number in range(count)
            )
        )
        await asyncio.sleep(max(0.0, (fire_at - datetime.now(UTC)).total_seconds()))
        started = time.perf_counter()
        while naive.done < count and time.perf_counter() - started < 600:
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - started
    return (
        f"the naive shape, same server: {naive.done} do-nothing activities in {elapsed:.1f} s"
        f" = {naive.done / elapsed:.0f} activities/s"
    )


async def main(only: str | None = None, portfolios: int = 100, burst: int = 1000) -> None:
    if only in (None, "burst", "approval", "kills", "commands"):
        await bench_engine(portfolios, burst, only)
    if only in (None, "api"):
        from benchmarks import api

        await asyncio.to_thread(api.main)


async def bench_engine(portfolios: int, burst: int, only: str | None) -> None:
    import subprocess
    import sys

    folder = Path(tempfile.mkdtemp(prefix="boucle-bench-"))
    smtp_port = free_port()
    # The SMTP server is another process, as it would be in production.
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{smtp_port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await asyncio.sleep(1.0)
    namespace = f"bench-{uuid.uuid4().hex[:6]}"
    scripts = Path(__import__("sysconfig").get_path("scripts"))
    async with await WorkflowEnvironment.start_local(
        namespace=namespace,
        port=free_port(),
        ui=False,
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=str(scripts / "temporal"),
        # Each figure checks its own outcome (messages marked sent, workflows started); the
        # server's log, stopped with eleven thousand workflows in flight, would bury them.
        dev_server_log_level="never",
        search_attributes=[PORTFOLIO, CYCLE_YEAR, CYCLE_PHASE],
    ) as env:
        settings = Settings(
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'bench.db'}",
            temporal_address=env.client.service_client.config.target_host,
            temporal_namespace=namespace,
            task_queue="bench",
            smtp_port=smtp_port,
            scheduler=False,
        )
        engine = make_engine(settings.database)
        migrate(engine)
        sessions = SessionFactory(engine)
        if only in (None, "approval"):  # its worker is a process of its own, measured alone
            approval = settings.model_copy(update={"task_queue": "bench-approval"})
            print(await bench_approval(env.client, sessions, approval, portfolios), flush=True)
        if only in (None, "kills"):
            from benchmarks.faults import bench_kills

            for line in await bench_kills(env.client, sessions, settings, count=burst):
                print(line, flush=True)
        if only in (None, "commands"):
            from benchmarks.faults import bench_commands

            commands = settings.model_copy(update={"task_queue": "bench-commands"})
            print(await bench_commands(commands, folder), flush=True)
        if only in (None, "burst"):
            with ThreadPoolExecutor(max_workers=settings.worker_threads) as executor:
                async with build_worker(
                    env.client, settings, sessions, mailer_for(settings), executor
                ):
                    print(
                        await bench_burst(
                            env.client, sessions, settings, burst, frozenset({sink.pid})
                        ),
                        flush=True,
                    )
                    print(await bench_naive(env.client, burst), flush=True)
    sink.terminate()
    sink.wait(timeout=10)


if __name__ == "__main__":
    import sys

    choice = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    run_event_loop(main(choice))
