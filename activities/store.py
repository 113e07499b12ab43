"""Projection of cycles, tasks, values, scorecards and plans into the store (idempotent)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlmodel import Session, col, func, select
from temporalio import activity

from domain.next_year import Review
from domain.scorecard import Scorecard
from store.database import SessionFactory
from store.facts import evaluation_facts
from store.plans import document_digest
from store.tables import Cycle, IndicatorValue, PlanVersion, Task, TaskPerson
from workflows.types import (
    ActivityName,
    CycleRow,
    DraftRecord,
    EvaluationFacts,
    TaskRow,
    ValuesRecord,
    cycle_workflow_id,
)

ENDED = ("done", "cancelled", "missed")


def next_plan_version(session: Session, portfolio: str, year: int) -> int:
    latest = session.exec(
        select(func.max(PlanVersion.version)).where(
            PlanVersion.portfolio == portfolio, PlanVersion.year == year
        )
    ).one()
    return (latest or 0) + 1


class StoreActivities:
    """Writes what workflows decide into the tables the API reads."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name=ActivityName.project_cycle)
    def project_cycle(self, row: CycleRow) -> None:
        cycle_id = f"{row.portfolio}/{row.year}"
        with self.sessions() as session:
            cycle = session.get(Cycle, cycle_id) or Cycle(
                id=cycle_id,
                portfolio=row.portfolio,
                year=row.year,
                phase=row.phase.value,
                workflow_id=cycle_workflow_id(row.portfolio, row.year),
            )
            cycle.phase = row.phase.value
            cycle.plan_version = row.plan_version
            cycle.submitted_at = row.submitted_at
            cycle.approved_at = row.approved_at
            cycle.approved_by = row.approved_by
            cycle.evaluate_on = row.evaluate_on
            cycle.updated_at = datetime.now(UTC)
            session.add(cycle)
            if row.approved_at is not None and row.plan_version is not None:
                version = session.exec(
                    select(PlanVersion).where(
                        PlanVersion.portfolio == row.portfolio,
                        PlanVersion.year == row.year,
                        PlanVersion.version == row.plan_version,
                    )
                ).first()
                if version is not None and version.status != "approved":
                    version.status = "approved"
                    version.approved_at = row.approved_at
                    version.approved_by = row.approved_by
                    session.add(version)
            session.commit()

    @activity.defn(name=ActivityName.project_tasks)
    def project_tasks(self, rows: list[TaskRow]) -> None:
        """Write tasks as their workflows have them (whatever the store said before)."""
        self._write_tasks(rows, keep_final=False)

    @activity.defn(name=ActivityName.project_planned_tasks)
    def project_planned_tasks(self, rows: list[TaskRow]) -> None:
        """Write tasks as the cycle plans them; a task that has ended stays as it ended."""
        self._write_tasks(rows, keep_final=True)

    def _write_tasks(self, rows: list[TaskRow], *, keep_final: bool) -> None:
        now = datetime.now(UTC)
        with self.sessions() as session:
            existing = {
                task.id: task
                for task in session.exec(
                    select(Task).where(col(Task.id).in_([row.task.id for row in rows]))
                )
            }
            for row in rows:
                task = row.task
                stored = existing.get(task.id)
                if keep_final and stored is not None and stored.status in ENDED:
                    continue
                stored = stored or Task(
                    id=task.id,
                    cycle_id=row.cycle_id,
                    portfolio=task.portfolio,
                    year=task.year,
                    item=task.item,
                    kind=task.kind.value,
                    title=task.title,
                    due_at=task.due,
                    original_at=task.original,
                )
                stored.title = task.title
                stored.due_at = task.due
                stored.assignees = list(task.assignees)
                stored.attendees = list(task.attendees)
                stored.indicators = list(task.indicators)
                stored.location = task.location
                stored.duration = task.duration
                stored.status = row.status.value
                stored.done_at = row.done_at
                stored.done_by = row.done_by
                stored.comment = row.comment
                stored.evidence_url = row.evidence_url
                stored.sequence = row.sequence
                if row.closes_at is not None:
                    stored.closes_at = row.closes_at
                if row.schedule is not None:
                    stored.schedule = [
                        [n.at.isoformat(), n.type.value, n.task, list(n.to)] for n in row.schedule
                    ]
                stored.updated_at = now
                session.add(stored)
                session.exec(delete(TaskPerson).where(col(TaskPerson.task_id) == task.id))
                for person in task.assignees:
                    session.add(TaskPerson(task_id=task.id, person_id=person, relation="assignee"))
                for person in task.attendees:
                    if person not in task.assignees:
                        session.add(
                            TaskPerson(task_id=task.id, person_id=person, relation="attendee")
                        )
            session.commit()

    @activity.defn(name=ActivityName.record_values)
    def record_values(self, record: ValuesRecord) -> None:
        with self.sessions() as session:
            for indicator, value in record.values.items():
                stored = session.exec(
                    select(IndicatorValue).where(
                        IndicatorValue.indicator_id == indicator,
                        IndicatorValue.portfolio_id == record.portfolio,
                        IndicatorValue.period == record.period,
                    )
                ).first() or IndicatorValue(
                    indicator_id=indicator,
                    portfolio_id=record.portfolio,
                    period=record.period,
                    value=value,
                )
                stored.value = value
                stored.author_id = record.author
                stored.comment = record.comment
                stored.task_id = record.task_id
                stored.recorded_at = record.recorded_at
                session.add(stored)
            session.commit()

    @activity.defn(name=ActivityName.evaluation_facts)
    def evaluation_facts(self, cycle_id: str) -> EvaluationFacts:
        with self.sessions() as session:
            points, outcomes, earlier = evaluation_facts(session, cycle_id)
        return EvaluationFacts(values=points, outcomes=outcomes, earlier=earlier)

    @activity.defn(name=ActivityName.save_scorecard)
    def save_scorecard(self, scorecard: Scorecard) -> None:
        with self.sessions() as session:
            cycle = session.get(Cycle, f"{scorecard.portfolio}/{scorecard.year}")
            if cycle is not None:
                cycle.scorecard = scorecard.model_dump(mode="json")
                session.add(cycle)
                session.commit()

    @activity.defn(name=ActivityName.save_review)
    def save_review(self, cycle_id: str, review: Review) -> None:
        with self.sessions() as session:
            cycle = session.get(Cycle, cycle_id)
            if cycle is not None:
                cycle.review = review.model_dump(mode="json")
                session.add(cycle)
                session.commit()

    @activity.defn(name=ActivityName.save_draft)
    def save_draft(self, record: DraftRecord) -> int:
        """Store a plan version unless the same document is already the latest one."""
        digest = document_digest(record.document)
        with self.sessions() as session:
            latest = session.exec(
                select(PlanVersion)
                .where(PlanVersion.portfolio == record.portfolio, PlanVersion.year == record.year)
                .order_by(col(PlanVersion.version).desc())
            ).first()
            if latest is not None and latest.digest == digest:
                return latest.version
            amendment = record.created_by is not None
            now = datetime.now(UTC)
            version = PlanVersion(
                portfolio=record.portfolio,
                year=record.year,
                version=next_plan_version(session, record.portfolio, record.year),
                status="approved" if amendment else "draft",
                origin="amendment" if amendment else "generated",
                document=record.document,
                digest=digest,
                created_by=record.created_by,
                created_at=now,
                approved_by=record.created_by if amendment else None,
                approved_at=now if amendment else None,
            )
            if amendment:
                # An amendment made while executing is in force at once; the old one stays.
                for previous in session.exec(
                    select(PlanVersion).where(
                        PlanVersion.portfolio == record.portfolio,
                        PlanVersion.year == record.year,
                        PlanVersion.status == "approved",
                    )
                ):
                    previous.status = "superseded"
                    session.add(previous)
                cycle = session.get(Cycle, f"{record.portfolio}/{record.year}")
                if cycle is not None:
                    cycle.plan_version = version.version
                    session.add(cycle)
            session.add(version)
            session.commit()
            return version.version
