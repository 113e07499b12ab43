"""The one activity builder, used by the worker and the tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.calendar import holiday_table_activity
from activities.digest import DigestActivities
from activities.notify import NotificationActivities, NotificationConfig
from activities.sign_in import SignInActivities
from activities.store import StoreActivities
from activities.tasks import TaskActivities, task_schedule
from activities.watch import WatchActivities
from notifications.smtp import Mailer
from store.database import SessionFactory
from workflows.types import MAIL_ACTIVITIES


def build_activities(
    sessions: SessionFactory, mailer: Mailer, config: NotificationConfig
) -> list[Callable[..., Any]]:
    """Every activity: the workflow queue's worker registers them all (sends included, for
    executions begun before the mail queue); the mail queue's worker takes `sending`."""
    store = StoreActivities(sessions)
    notify = NotificationActivities(sessions, mailer, config)
    digest = DigestActivities(sessions, notify)
    tasks = TaskActivities(sessions, store)
    watch = WatchActivities(sessions, notify)
    sign_in = SignInActivities(notify)
    return [
        store.project_cycle,
        store.project_tasks,
        store.project_planned_tasks,
        tasks.start_tasks,
        tasks.change_tasks,
        tasks.ended_tasks,
        task_schedule,
        store.record_values,
        store.evaluation_facts,
        store.save_scorecard,
        store.save_review,
        store.save_draft,
        notify.send_task_notice,
        notify.send_task_notices,
        notify.send_plan_notice,
        digest.send_digests,
        watch.report_stuck_workflows,
        sign_in.send_sign_in,
        holiday_table_activity,
    ]


def sending(activities: list[Callable[..., Any]]) -> list[Callable[..., Any]]:
    """The activities among `activities` that send mail (the mail queue's)."""
    return [each for each in activities if activity_name(each) in MAIL_ACTIVITIES]


def activity_name(defined: Callable[..., Any]) -> str:
    return getattr(defined, "__temporal_activity_definition").name  # noqa: B009
