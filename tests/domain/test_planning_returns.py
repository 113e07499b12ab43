"""Planning notices once the direction has sent a plan back: the officer is reminded from the
return on, each resubmission asks the direction anew; a plan never sent back keeps its keys."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.calendar import WorkingCalendar
from domain.planning import planning_notices
from tests.plans import plan_with

OPENED = datetime(2026, 11, 2, 10, tzinfo=UTC)
SUBMITTED = datetime(2026, 11, 20, 10, tzinfo=UTC)
RETURNED = datetime(2026, 12, 9, 10, tzinfo=UTC)
RESUBMITTED = datetime(2026, 12, 10, 10, tzinfo=UTC)


def year():  # noqa: ANN201
    document = plan_with("""
        - {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15"}
    """)
    plan = document.plans[0].model_copy(update={"approve_by": "2026-12-15T10:30"})
    document = document.model_copy(update={"plans": [plan]})
    return document, plan, WorkingCalendar.of(document.organisation)


def test_a_plan_never_sent_back_keeps_the_keys_recorded_cycles_handled() -> None:
    document, plan, calendar = year()
    draft = planning_notices(document, plan, OPENED, None, calendar)
    assert [n.key for n in draft] == [
        "plan_submit_request|2026-11-24T09:00:00+01:00",
        "plan_submit_request|2026-12-01T09:00:00+01:00",
        "plan_submit_request|2026-12-08T09:00:00+01:00",
        "plan_submit_request|2026-12-11T09:00:00+01:00",
        "plan_submit_request|2026-12-18T09:00:00+01:00",
        "plan_submit_request|2026-12-22T09:00:00+01:00",
        "plan_submit_request|2026-12-29T09:00:00+01:00",
    ]
    submitted = planning_notices(document, plan, OPENED, SUBMITTED, calendar)
    assert [n.key for n in submitted][:3] == [
        "plan_approval_request|2026-11-20T10:00:00+00:00",
        "plan_approval_request|2026-12-11T09:00:00+01:00",
        "plan_approval_request|2026-12-15T09:00:00+01:00",
    ]


def test_after_a_return_the_officer_is_reminded_from_then_on_and_the_direction_asked_anew() -> None:
    document, plan, calendar = year()
    returned = planning_notices(
        document, plan, OPENED, None, calendar, returned_at=RETURNED, returns=1
    )
    # 8 December fell while the direction had the plan: it is not sent late at the return.
    assert [(n.type.value, n.at.isoformat(), n.to) for n in returned][:2] == [
        ("plan_submit_request", "2026-12-11T09:00:00+01:00", ("qdd",)),
        ("plan_submit_request", "2026-12-18T09:00:00+01:00", ("qdd",)),
    ]
    again = planning_notices(
        document, plan, OPENED, RESUBMITTED, calendar, returned_at=RETURNED, returns=1
    )
    assert [n.key for n in again][:3] == [
        "plan_approval_request|2026-12-10T10:00:00+00:00|round-1",
        "plan_approval_request|2026-12-11T09:00:00+01:00|round-1",
        "plan_approval_request|2026-12-15T09:00:00+01:00|round-1",
    ]
    first = {n.key for n in planning_notices(document, plan, OPENED, SUBMITTED, calendar)}
    assert not first & {n.key for n in again}  # the second request is new, never "handled"
