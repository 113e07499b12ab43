"""Organisation-wide periodic jobs (APScheduler 3). Each only starts a Temporal workflow whose
id carries the period, so several processes firing the same job start it once. They fire in
the organisation's time zone, read from the store (and followed when a new plan changes it)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from store.database import SessionFactory
from store.tables import Organisation
from workflows.digest import DigestInput, DigestWorkflow, digest_workflow_id
from workflows.watch import EngineWatchWorkflow, WatchInput, watch_workflow_id

log = logging.getLogger("boucle.scheduler")
DEFAULT_ZONE = "Europe/Paris"  # before any plan is imported
DIGEST = "weekly-digest"
WATCH = "engine-watch"


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def organisation_zone(sessions: SessionFactory) -> str:
    with sessions() as session:
        organisation = session.get(Organisation, 1)
    return organisation.timezone if organisation else DEFAULT_ZONE


async def start_weekly_digest(client: Client, task_queue: str, fired_at: datetime) -> bool:
    """Start the digest of `fired_at`'s week (local); False when another process already did."""
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


async def start_engine_watch(client: Client, task_queue: str, fired_at: datetime) -> bool:
    """Start the look for stuck workflows of `fired_at`'s hour; False when already started."""
    hour = fired_at.strftime("%Y-%m-%dT%H")
    try:
        await client.start_workflow(
            EngineWatchWorkflow.run,
            WatchInput(fired_at=fired_at.isoformat()),
            id=watch_workflow_id(hour),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


def watch_trigger(zone: str) -> CronTrigger:
    """Every hour at :05, in the organisation's zone."""
    return CronTrigger(minute=5, timezone=zone)


def digest_trigger(zone: str) -> CronTrigger:
    """Mondays at 08:00 in the organisation's zone."""
    return CronTrigger(day_of_week="mon", hour=8, minute=0, timezone=zone)


def build_scheduler(client: Client, task_queue: str, sessions: SessionFactory) -> AsyncIOScheduler:
    current = {"zone": organisation_zone(sessions)}
    scheduler = AsyncIOScheduler(timezone=current["zone"])

    async def weekly_digest() -> None:
        now = datetime.now(ZoneInfo(current["zone"]))
        await start_weekly_digest(client, task_queue, now)

    async def engine_watch() -> None:
        now = datetime.now(ZoneInfo(current["zone"]))
        await start_engine_watch(client, task_queue, now)

    async def follow_the_zone() -> None:
        zone = await asyncio.to_thread(organisation_zone, sessions)
        if zone != current["zone"]:
            log.info("the organisation's zone is now %s: jobs follow it", zone)
            current["zone"] = zone
            scheduler.reschedule_job(DIGEST, trigger=digest_trigger(zone))
            scheduler.reschedule_job(WATCH, trigger=watch_trigger(zone))

    scheduler.add_job(
        weekly_digest,
        digest_trigger(current["zone"]),
        id=DIGEST,
        misfire_grace_time=3600,
        coalesce=True,
    )
    scheduler.add_job(
        engine_watch,
        watch_trigger(current["zone"]),
        id=WATCH,
        misfire_grace_time=600,
        coalesce=True,
    )
    scheduler.add_job(follow_the_zone, IntervalTrigger(minutes=10), id="organisation-zone")
    return scheduler
