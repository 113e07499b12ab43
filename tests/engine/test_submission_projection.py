"""A plan submitted while its cycle writes its first row still shows as submitted in the store."""

from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from activities.notify import NotificationConfig
from activities.registry import build_activities
from activities.store import StoreActivities
from services.plans import import_plans, submit_plan
from store.tables import Cycle
from tests.engine.support import RecordingMailer, engine_workers, store_with
from tests.plans import plan_with
from workflows.types import ActivityName, CycleRow

ITEMS = '- {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15"}'


async def test_a_submission_made_while_the_first_row_is_written_reaches_the_store(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    sessions = store_with(plan_with(""), tmp_path)
    store = StoreActivities(sessions)
    writing, release = threading.Event(), threading.Event()

    @activity.defn(name=ActivityName.project_cycle)
    def slow_first_row(row: CycleRow) -> None:
        if not writing.is_set():  # the first row waits until the officer has submitted
            writing.set()
            release.wait(30)
        store.project_cycle(row)

    activities = [
        slow_first_row
        if getattr(a, "__temporal_activity_definition").name == "project_cycle"
        else a
        for a in build_activities(sessions, RecordingMailer(), NotificationConfig())
    ]
    queue = f"boucle-test-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with engine_workers(
            env.client,
            task_queue=queue,
            activities=activities,
            activity_executor=executor,
        ):
            await import_plans(
                plan_with(ITEMS),
                sessions,
                env.client,
                queue,
                by="qdd",
                with_search_attributes=False,
            )
            await asyncio.to_thread(writing.wait, 30)
            view = await submit_plan(env.client, "restauration", 2027, "qdd")
            assert view.submitted_at is not None
            release.set()
            for _ in range(100):
                with sessions() as session:
                    cycle = session.get(Cycle, "restauration/2027")
                    if cycle is not None and cycle.submitted_at is not None:
                        break
                await asyncio.sleep(0.1)
    assert cycle is not None and cycle.submitted_at == view.submitted_at
    assert cycle.approved_at is None  # submitted, waiting for the direction
