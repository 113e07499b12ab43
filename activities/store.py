"""Projection of cycles, tasks, values, scorecards and plans into the store (idempotent)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, update
from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select
from temporalio import activity

from domain.next_year import Review
from domain.scorecard import Scorecard
from store.database import SessionFactory
from store.decp import contract_facts
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
TASKS = Task.__table__  # type: ignore[attr-defined]
CYCLES = Cycle.__table__  # type: ignore[attr-defined]
VERSIONS = PlanVersion.__table__  # type: ignore[attr-defined]
PEOPLE = TaskPerson.__table__  # type: ignore[attr-defined]


def _task_values(row: TaskRow, now: datetime) -> dict[str, object]:
    task = row.task
    return {
        "id": task.id,
        "cycle_id": row.cycle_id,
        "portfolio": task.portfolio,
        "year": task.year,
        "item": task.item,
        "kind": task.kind.value,
        "title": task.title,
        "due_at": task.due,
        "original_at": task.original,
        "assignees": list(task.assignees),
        "attendees": list(task.attendees),
        "indicators": list(task.indicators),
        "location": task.location,
        "duration": task.duration,
        "status": row.status.value,
        "done_at": row.done_at,
        "done_by": row.done_by,
        "comment": row.comment,
        "evidence_url": row.evidence_url,
        "sequence": row.sequence,
        "updated_at": now,
        "closes_at": row.closes_at,
        "schedule": None
        if row.schedule is None
        else [[n.at.isoformat(), n.type.value, n.task, list(n.to)] for n in row.schedule],
    }


def _concerned(row: TaskRow) -> list[tuple[str, str]]:
    """Who a task concerns, for "my tasks": its assignees, then its other attendees."""
    task = row.task
    return [(p, "assignee") for p in task.assignees] + [
        (p, "attendee") for p in dict.fromkeys(task.attendees) if p not in task.assignees
    ]


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
        values = {
            "phase": row.phase.value,
            "plan_version": row.plan_version,
            "submitted_at": row.submitted_at,
            "approved_at": row.approved_at,
            "approved_by": row.approved_by,
            "evaluate_on": row.evaluate_on,
            "updated_at": datetime.now(UTC),
        }
        with self.sessions.writing() as connection:
            changed = connection.execute(
                update(CYCLES).where(CYCLES.c.id == cycle_id).values(values)
            ).rowcount
            if not changed:
                connection.execute(
                    sa_insert(CYCLES).values(
                        id=cycle_id,
                        portfolio=row.portfolio,
                        year=row.year,
                        workflow_id=cycle_workflow_id(row.portfolio, row.year),
                        **values,
                    )
                )
            if row.approved_at is not None and row.plan_version is not None:
                connection.execute(
                    update(VERSIONS)
                    .where(
                        VERSIONS.c.portfolio == row.portfolio,
                        VERSIONS.c.year == row.year,
                        VERSIONS.c.version == row.plan_version,
                        VERSIONS.c.status != "approved",
                    )
                    .values(
                        status="approved", approved_at=row.approved_at, approved_by=row.approved_by
                    )
                )

    @activity.defn(name=ActivityName.project_tasks)
    def project_tasks(self, rows: list[TaskRow]) -> None:
        """Write tasks as their workflows have them (whatever the store said before)."""
        self._write_tasks(rows, keep_final=False)

    @activity.defn(name=ActivityName.project_planned_tasks)
    def project_planned_tasks(self, rows: list[TaskRow]) -> None:
        """Write tasks as the cycle plans them; a task that has ended stays as it ended."""
        self._write_tasks(rows, keep_final=True)

    def _write_tasks(self, rows: list[TaskRow], *, keep_final: bool) -> None:
        """Upsert the rows and who they concern in one transaction of a few statements (a
        région's approval writes 11,600 of them at once)."""
        if not rows:
            return
        now = datetime.now(UTC)
        ids = list(dict.fromkeys(row.task.id for row in rows))
        with self.sessions.writing() as connection:
            status_of: dict[str, str] = {
                key: status
                for key, status in connection.execute(
                    sa_select(TASKS.c.id, TASKS.c.status).where(TASKS.c.id.in_(ids))
                )
            }
            written: dict[str, dict[str, object]] = {}
            for row in rows:
                if keep_final and status_of.get(row.task.id) in ENDED:
                    continue  # a task that has ended stays as it ended
                written[row.task.id] = _task_values(row, now)
            if not written:
                return
            inserts = [values for key, values in written.items() if key not in status_of]
            updates = [values for key, values in written.items() if key in status_of]
            if inserts:
                connection.execute(sa_insert(TASKS), inserts)
            if updates:
                changing = [
                    name for name in updates[0] if name not in ("id", "closes_at", "schedule")
                ]
                connection.execute(
                    update(TASKS)
                    .where(TASKS.c.id == bindparam("row_id"))
                    .values({name: bindparam(f"row_{name}") for name in changing}),
                    [
                        {"row_id": values["id"], **{f"row_{n}": values[n] for n in changing}}
                        for values in updates
                    ],
                )
                # Only a row that says what it runs replaces the schedule and close time.
                pinned = [values for values in updates if values["schedule"] is not None]
                if pinned:
                    connection.execute(
                        update(TASKS)
                        .where(TASKS.c.id == bindparam("row_id"))
                        .values(
                            closes_at=bindparam("row_closes_at"),
                            schedule=bindparam("row_schedule"),
                        ),
                        [
                            {
                                "row_id": values["id"],
                                "row_closes_at": values["closes_at"],
                                "row_schedule": values["schedule"],
                            }
                            for values in pinned
                        ],
                    )
            connection.execute(delete(PEOPLE).where(PEOPLE.c.task_id.in_(list(written))))
            people = [
                {"task_id": row.task.id, "person_id": person, "relation": relation}
                for row in rows
                if row.task.id in written
                for person, relation in _concerned(row)
            ]
            if people:
                connection.execute(sa_insert(PEOPLE), people)

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
            portfolio, year = cycle_id.rsplit("/", 1)
            shares, gaps = contract_facts(session, portfolio, int(year))
        return EvaluationFacts(
            values=points,
            outcomes=outcomes,
            earlier=earlier,
            contract_shares=shares,
            art35_gaps=gaps,
        )

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
