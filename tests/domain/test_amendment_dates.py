"""Where an amendment may move an occurrence, and what its messages then say about the move."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.calendar import WorkingCalendar
from domain.execution import (
    ExecutedPlan,
    PlanChanges,
    amendment_problems,
    every_task,
    with_changes,
)
from tests.plans import plan_with

# 1 May 2027 (fête du Travail) is a Saturday; 8 May (Victoire 1945) too; Ascension is Thursday
# 6 May: the action planned that day moves to Friday 7 May.
ITEMS = """
    - {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-05-06T10:00"}
    - {id: bilan, kind: action, title: Bilan, assignees: [resto], due: "2027-03-16T10:00"}
"""
NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)


def executed() -> tuple[ExecutedPlan, WorkingCalendar]:
    document = plan_with(ITEMS)
    return ExecutedPlan(document=document), WorkingCalendar.of(document.organisation)


def test_a_holiday_shift_is_told_and_a_move_by_a_person_is_not_called_one() -> None:
    plan, calendar = executed()
    after = with_changes(
        plan,
        PlanChanges(
            reschedule_tasks={
                "restauration/2027/bilan/2027-03-16": datetime(2027, 3, 23, 9, tzinfo=UTC)
            }
        ),
        NOW,
    )
    tasks = {task.item: task for task in every_task(after, calendar)}
    assert tasks["pub"].due == datetime(2027, 5, 7, 8, tzinfo=UTC)  # 10:00 Paris, summer time
    assert tasks["pub"].shifted_from == datetime(2027, 5, 6, 8, tzinfo=UTC)
    assert tasks["bilan"].due == datetime(2027, 3, 23, 9, tzinfo=UTC)
    assert tasks["bilan"].shifted_from is None  # the officer moved it: not "jour non ouvré"


def test_an_occurrence_cannot_be_moved_out_of_its_cycle_year() -> None:
    plan, calendar = executed()
    problems = amendment_problems(
        plan,
        PlanChanges(
            reschedule_tasks={
                "restauration/2027/bilan/2027-03-16": datetime(2028, 1, 10, 9, tzinfo=UTC)
            }
        ),
        calendar,
        NOW,
        set(),
    )
    assert [(p.code, p.params) for p in problems] == [
        ("due_outside_year", {"day": "2028-01-10", "year": "2027"})
    ]
