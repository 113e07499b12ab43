"""The worker's /metrics, scraped while it sends reminders on the dev server: counts by type,
the delay from the scheduled instant to SMTP acceptance, starts, and the SDK's own metrics."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from boucle.temporal import build_worker, worker_metrics
from domain.tasks import Task
from services.settings import Settings
from services.temporal import connect
from tests.engine.support import RecordingMailer, store_with
from tests.integration.conftest import free_port
from tests.plans import plan_with
from workflows.task import TaskWorkflow
from workflows.types import TaskInput, task_workflow_id


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def start_reminder(client, settings: Settings, document, label: str, fire_at: datetime):
    """A task whose one reminder (to Paul, `resto`) falls due at `fire_at`."""
    due = fire_at + timedelta(hours=1)
    policy = document.policy_for_defaults().model_copy(
        update={"before": ("PT1H",), "on_due": False, "overdue": (), "escalate_after": None}
    )
    task = Task(
        id=f"{label}/{due.year}/rappel/{due.date().isoformat()}",
        portfolio="restauration",
        year=due.year,
        item="rappel",
        kind="action",
        title="Publier le marché bio",
        due=due,
        original=due,
        assignees=("resto",),
        policy=policy,
    )
    return await client.start_workflow(
        TaskWorkflow.run,
        TaskInput(
            task=task,
            organisation=document.organisation,
            holidays=cycle_holidays(document.organisation, due.year),
            officers=("qdd",),
            assignable=("resto",),
            execution_start=datetime.now(UTC),
            closes_at=due + timedelta(minutes=5),
        ),
        id=task_workflow_id(task.id),
        task_queue=settings.task_queue,
    )


async def scrape(url: str) -> str:
    async with httpx.AsyncClient() as http:
        return (await http.get(url)).text


async def scrape_until(url: str, done, seconds: float = 30) -> str:  # noqa: ANN001
    for _ in range(int(seconds * 10)):
        text = await scrape(url)
        if done(samples(text)):
            break
        await asyncio.sleep(0.1)
    return text


async def test_a_sent_reminder_and_a_refused_one_are_counted_and_the_sdk_exports_its_own(
    dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    document = plan_with("")
    sessions = store_with(document, tmp_path)
    sdk_port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        temporal_address=dev_server.client.service_client.config.target_host,
        temporal_namespace=dev_server.client.namespace,
        task_queue=f"metrics-{uuid.uuid4().hex[:8]}",
        worker_metrics_port=free_port(),
        temporal_metrics_address=f"127.0.0.1:{sdk_port}",
    )
    client = await connect(settings)
    mailer = RecordingMailer()
    url = f"http://127.0.0.1:{settings.worker_metrics_port}/metrics"
    sent = ("boucle_notifications_sent_total", (("type", "reminder"),))
    retried = ("boucle_notifications_retried_total", (("type", "reminder"),))
    failed = ("boucle_notifications_failed_total", (("type", "reminder"),))
    delays = ("boucle_notification_delay_seconds_count", ())
    with (
        ThreadPoolExecutor(max_workers=4) as executor,
        worker_metrics(settings) as server,
    ):
        assert server is not None
        before = samples(await scrape(url))  # earlier tests of this process counted too
        worker = build_worker(client, settings, sessions, mailer, executor)
        async with worker:
            fire_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
            mailer.refuse_next = 1  # 451 once: the reminder goes on the activity's retry
            handle = await start_reminder(client, settings, document, "metrics", fire_at)
            text = await scrape_until(url, lambda now: now.get(sent, 0) > before.get(sent, 0))
            after = samples(text)
            assert after[sent] - before.get(sent, 0) == 1
            assert after[retried] - before.get(retried, 0) == 1
            assert after[delays] - before.get(delays, 0) == 1
            started = ("boucle_workflows_started_total", (("workflow_type", "TaskWorkflow"),))
            assert after[started] - before.get(started, 0) == 1
            # Sent on the retry: later than its instant by the retry's backoff (at least a
            # second), well within the goal of 30 s.
            delay = after[("boucle_notification_delay_seconds_sum", ())] - before.get(
                ("boucle_notification_delay_seconds_sum", ()), 0
            )
            within = ("boucle_notification_delay_seconds_bucket", (("le", "30.0"),))
            assert after[within] - before.get(within, 0) == 1
            assert delay >= 1, delay

            mailer.refuse_next, mailer.permanent = 1, True  # 550: refused for good
            fire_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
            await start_reminder(client, settings, document, "refused", fire_at)
            text = await scrape_until(url, lambda now: now.get(failed, 0) > before.get(failed, 0))
            assert samples(text)[failed] - before.get(failed, 0) == 1
            await handle.terminate()
        sdk = await scrape(f"http://127.0.0.1:{sdk_port}/metrics")
    names = {family.name for family in text_string_to_metric_families(sdk)}
    assert "temporal_workflow_task_execution_latency" in names, sorted(names)[:20]
    assert "temporal_activity_execution_latency" in names or any(
        name.startswith("temporal_local_activity") for name in names
    )
    assert mailer.sent[0]["To"].addresses[0].username == "paul.durand"
