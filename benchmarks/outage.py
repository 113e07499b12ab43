"""PostgreSQL stopped while reminders fall due: what the SMTP server received, lost and twice.

A fault drill, not part of `make bench`: it stops and starts this machine's PostgreSQL cluster
(`pg_ctlcluster`, so it needs the rights to), on the database of TEST_DATABASE_URL. 300
reminders fall due at one second through one `boucle worker` process; PostgreSQL is stopped
five seconds before that second and started again `--down` seconds later (30 by default).

    python -m benchmarks.outage [--down SECONDS] [--cluster 15/main]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from benchmarks.cluster import Store, stop
from benchmarks.engine import free_port
from benchmarks.region_plan import region_plan
from domain.tasks import Task
from domain.validation import load_plan
from services.settings import Settings, process_environment
from store.plans import save_organisation
from workflows.common import CYCLE_PHASE, CYCLE_YEAR, PORTFOLIO
from workflows.converter import DATA_CONVERTER
from workflows.task import TaskWorkflow
from workflows.types import TaskInput, task_workflow_id

COUNT = 300
LEAD = timedelta(seconds=30)


def postgres(cluster: str, action: str) -> None:
    version, name = cluster.split("/")
    subprocess.run(["pg_ctlcluster", version, name, action, "-m", "fast"], check=True)


async def start_reminders(client: Client, queue: str, fire_at: datetime) -> str:
    document = load_plan(region_plan(portfolios=1, items_per_portfolio=8))
    buyers = [p.id for p in document.people if p.role.value == "buyer"]
    due = fire_at + timedelta(hours=1)
    prefix = f"{queue}/"
    policy = document.policy_for_defaults().model_copy(
        update={"before": ("PT1H",), "on_due": False, "overdue": (), "escalate_after": None}
    )
    holidays = cycle_holidays(document.organisation, due.year)
    starts = []
    for number in range(COUNT):
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
    return prefix


async def main(down: float, cluster: str) -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        sys.exit("TEST_DATABASE_URL names the PostgreSQL database this drill stops and starts")
    folder = Path(tempfile.mkdtemp(prefix="boucle-outage-"))
    received = folder / "received.txt"
    smtp_port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.smtp_sink", str(smtp_port), str(received)]
    )
    store = Store(folder)
    namespace = f"outage-{uuid.uuid4().hex[:6]}"
    scripts = Path(__import__("sysconfig").get_path("scripts"))
    worker: subprocess.Popen[bytes] | None = None
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
            queue = f"outage-{uuid.uuid4().hex[:4]}"
            settings = Settings(
                data_dir=folder,
                database_url=store.url,
                temporal_address=env.client.service_client.config.target_host,
                temporal_namespace=namespace,
                task_queue=queue,
                smtp_port=smtp_port,
                scheduler=False,
            )
            with store.sessions() as session:
                save_organisation(session, load_plan(region_plan(1, 8)))
                session.commit()
            worker = subprocess.Popen(
                [sys.executable, "-m", "boucle.cli", "worker"],
                env=process_environment(settings),
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=open(folder / "worker.log", "wb"),  # noqa: SIM115 - the worker's own
            )
            fire_at = (datetime.now(UTC) + LEAD).replace(microsecond=0)
            prefix = await start_reminders(env.client, queue, fire_at)
            await asyncio.sleep(max(0.0, (fire_at - datetime.now(UTC)).total_seconds() - 5))
            postgres(cluster, "stop")
            stopped = time.perf_counter()
            print(
                f"{COUNT} reminders due at {fire_at:%H:%M:%S} UTC; PostgreSQL stopped", flush=True
            )
            await asyncio.sleep(down)
            postgres(cluster, "start")
            print(
                f"PostgreSQL started again after {time.perf_counter() - stopped:.0f} s", flush=True
            )
            deadline = time.perf_counter() + 900
            sent = 0
            while time.perf_counter() < deadline:
                try:
                    sent = store.sent(prefix)
                except Exception:  # the pool's connections died with the server
                    store.engine.dispose()
                    continue
                if sent >= COUNT:
                    break
                await asyncio.sleep(1)
            elapsed = time.perf_counter() - stopped
            ids = received.read_text().split() if received.exists() else []
            copies = Counter(ids)
            print(
                f"outbox: {sent} of {COUNT} reminders sent, the last {elapsed:.0f} s after the stop"
                f"; SMTP received {len(ids)} messages, {len(copies)} distinct, "
                f"{sum(1 for c in copies.values() if c > 1)} twice",
                flush=True,
            )
            errors = (folder / "worker.log").read_text(errors="replace")
            print(
                f"worker log: {errors.count('OperationalError')} OperationalError lines; "
                f"{errors.count('MessageBroken')} MessageBroken",
                flush=True,
            )
    finally:
        if worker is not None:
            stop([worker])
        store.drop()
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    seconds = float(arguments[arguments.index("--down") + 1]) if "--down" in arguments else 30.0
    name = arguments[arguments.index("--cluster") + 1] if "--cluster" in arguments else "15/main"
    asyncio.run(main(seconds, name))
    sys.stdout.flush()
    os._exit(0)  # the Temporal runtime's threads can abort a normal exit (sdk-python #300)
