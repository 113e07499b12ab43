"""Organisation-wide periodic jobs (APScheduler 3). Each only starts a Temporal workflow whose
id carries the period, so several processes firing the same job start it once."""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from workflows.digest import DigestInput, DigestWorkflow, digest_workflow_id

log = logging.getLogger("boucle.scheduler")


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


async def start_weekly_digest(client: Client, task_queue: str, fired_at: datetime) -> bool:
    """Start this week's digest; False when another process already did."""
    week = iso_week(fired_at)
    try:
        await client.start_workflow(
            DigestWorkflow.run,
            DigestInput(week=week, fired_at=fired_at.isoformat()),
            id=digest_workflow_id(week),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        log.info("digest %s already started elsewhere", week)
        return False
    return True


def build_scheduler(client: Client, task_queue: str, timezone: str) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=timezone)

    async def weekly_digest() -> None:
        await start_weekly_digest(client, task_queue, datetime.now(scheduler.timezone))

    scheduler.add_job(
        weekly_digest,
        CronTrigger(day_of_week="mon", hour=8, minute=0, timezone=timezone),
        id="weekly-digest",
        misfire_grace_time=3600,
        coalesce=True,
    )
    return scheduler
