"""Reminder rules (PRODUCT.md rule 4) on concrete 2027 dates."""

from __future__ import annotations

from datetime import datetime

from domain.calendar import WorkingCalendar
from domain.simulation import Assumption, execution_start, simulate
from domain.tasks import plan_tasks
from domain.timeline import NoticeType, sent_before, task_timeline
from tests.plans import plan_with


def timeline(items: str, **options: str):
    document = plan_with(items, **options)
    plan = document.plans[0]
    calendar = WorkingCalendar.of(document.organisation)
    start = execution_start(document, plan)
    return [
        (notice.at.isoformat(timespec="minutes"), notice.type.value, notice.to)
        for task in plan_tasks(document, plan)
        for notice in task_timeline(task, calendar, document.officers, start)
    ]


def test_action_gets_before_due_overdue_and_escalation_at_send_time() -> None:
    assert timeline("""
        - {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15",
           reminders: {before: [P14D, P3D]}}
    """) == [
        ("2027-02-01T09:00+01:00", "reminder", ("resto",)),
        ("2027-02-12T09:00+01:00", "reminder", ("resto",)),  # 12 Feb: Friday before Sunday
        ("2027-02-15T09:00+01:00", "due", ("resto",)),
        ("2027-02-18T09:00+01:00", "overdue", ("resto",)),
        ("2027-02-22T09:00+01:00", "overdue", ("resto",)),
        ("2027-02-25T09:00+01:00", "escalation", ("qdd",)),
    ]


def test_before_reminder_on_a_holiday_moves_to_previous_working_day() -> None:
    # Due Tuesday 6 April; P8D → Monday 29 March (Easter Monday) → Friday 26 March.
    notices = timeline("""
        - {id: a, kind: action, title: A, assignees: [resto], due: "2027-04-06",
           reminders: {before: [P8D], overdue: [], escalate_after: null, on_due: false}}
    """)
    assert notices == [("2027-03-26T09:00+01:00", "reminder", ("resto",))]


def test_overdue_and_escalation_on_holidays_move_to_next_working_day() -> None:
    # Due Wednesday 28 April; +3 days is Saturday 1 May → Monday 3 May;
    # +8 days is Thursday 6 May (Ascension) → Friday 7 May.
    notices = timeline("""
        - {id: a, kind: action, title: A, assignees: [resto], due: "2027-04-28",
           reminders: {before: [], on_due: false, overdue: [P3D], escalate_after: P8D}}
    """)
    assert notices == [
        ("2027-05-03T09:00+02:00", "overdue", ("resto",)),
        ("2027-05-07T09:00+02:00", "escalation", ("qdd",)),
    ]


def test_no_due_notice_when_task_is_due_before_send_time() -> None:
    notices = timeline("""
        - {id: a, kind: action, title: A, assignees: [resto], start: "2027-02-16T08:30",
           reminders: {before: [], overdue: [], escalate_after: null}}
    """)
    assert notices == []
    at_send_time = timeline("""
        - {id: a, kind: action, title: A, assignees: [resto], start: "2027-02-16T09:00",
           reminders: {before: [], overdue: [], escalate_after: null}}
    """)
    assert at_send_time == [("2027-02-16T09:00+01:00", "due", ("resto",))]


def test_send_at_is_local_wall_clock_across_dst() -> None:
    notices = timeline("""
        - {id: a, kind: action, title: A, assignees: [resto], due: "2027-03-30",
           reminders: {before: [P7D], overdue: [], escalate_after: null, send_at: "08:15"}}
    """)
    # 23 March is CET, 30 March is CEST: both at 08:15 local.
    assert notices == [
        ("2027-03-23T08:15+01:00", "reminder", ("resto",)),
        ("2027-03-30T08:15+02:00", "due", ("resto",)),
    ]


def test_event_invitation_and_reminders_reach_assignees_and_attendees() -> None:
    notices = timeline("""
        - {id: f, kind: training_session, title: Formation, start: "2027-03-16T14:00",
           duration: PT3H, location: Arras, assignees: [qdd], attendees: [resto, nett]}
    """)
    everyone = ("qdd", "resto", "nett")
    assert notices == [
        ("2026-12-01T09:00+01:00", "invitation", everyone),
        ("2027-03-09T09:00+01:00", "reminder", everyone),
        ("2027-03-15T09:00+01:00", "reminder", everyone),
        ("2027-03-16T09:00+01:00", "due", everyone),
    ]


def test_kind_override_sits_between_organisation_and_item() -> None:
    document = plan_with("""
        - {id: f, kind: supplier_meeting, title: Rencontre, start: "2027-06-10T10:00",
           assignees: [resto]}
        - {id: g, kind: supplier_meeting, title: Rencontre 2, start: "2027-06-17T10:00",
           assignees: [resto], reminders: {before: [P1D]}}
    """).model_copy()
    text = document.reminders.model_copy(
        update={"kinds": {"supplier_meeting": document.reminders.__class__(before=["P14D"])}}
    )
    document = document.model_copy(update={"reminders": text})
    first, second = document.plans[0].items
    assert document.policy_for(first).before == ("P14D",)
    assert document.policy_for(first).send_at == "09:00"
    assert document.policy_for(second).before == ("P1D",)


def test_checkpoint_opens_with_a_request_for_values() -> None:
    notices = timeline("""
        - {id: p, kind: indicator_checkpoint, title: Point, start: "2027-03-31T17:00",
           indicators: [part-bio], assignees: [resto]}
    """)
    assert [kind for _, kind, _ in notices] == [
        "checkpoint",
        "reminder",
        "due",
        "overdue",
        "overdue",
        "escalation",
    ]
    assert notices[0][0] == "2027-03-24T09:00+01:00"


def test_nothing_is_sent_once_the_task_is_done() -> None:
    document = plan_with("""
        - {id: a, kind: action, title: A, assignees: [resto], due: "2027-02-15"}
    """)
    calendar = WorkingCalendar.of(document.organisation)
    (task,) = plan_tasks(document, document.plans[0])
    notices = task_timeline(task, calendar, document.officers)
    done = datetime.fromisoformat("2027-02-12T12:00+01:00")
    assert [n.type for n in sent_before(notices, done)] == [NoticeType.reminder] * 2
    assert len(sent_before(notices, None)) == len(notices) == 6


def test_missed_assumption_shows_every_overdue_notice_and_escalation() -> None:
    document = plan_with("""
        - {id: veille, kind: regulatory_watch_review, title: Veille, assignees: [resto],
           start: "2027-01-04T09:30", rrule: "FREQ=MONTHLY;BYDAY=1MO"}
    """)
    on_time = simulate(document, assume=Assumption.on_time)
    missed = simulate(document, assume=Assumption.missed)
    count = {kind: sum(n.type == kind for n in missed.notices) for kind in NoticeType}
    assert count[NoticeType.overdue] == 24 and count[NoticeType.escalation] == 12
    assert not any(n.type in (NoticeType.overdue, NoticeType.escalation) for n in on_time.notices)
    assert len(on_time.notices) == 36


def test_reminders_before_the_cycle_starts_are_not_sent() -> None:
    document = plan_with("""
        - {id: a, kind: action, title: A, assignees: [resto], due: "2027-01-05"}
    """)
    plan = document.plans[0].model_copy(update={"approve_by": "2027-01-04"})
    start = execution_start(document, plan)
    calendar = WorkingCalendar.of(document.organisation)
    (task,) = plan_tasks(document, plan)
    kinds = [n.type.value for n in task_timeline(task, calendar, document.officers, start)]
    assert kinds[0] == "reminder"  # P1D on 4 January, at the start; P7D was in December
    assert kinds.count("reminder") == 1


def test_reminder_overrides_mean_the_same_after_a_json_round_trip() -> None:
    # Workflows receive plans as JSON: an item that only overrides `before` must keep the
    # inherited overdue notices, and an explicit null must still turn escalation off.
    document = plan_with("""
        - {id: a, kind: action, title: A, assignees: [resto], due: "2027-02-15",
           reminders: {before: [P14D]}}
        - {id: b, kind: action, title: B, assignees: [resto], due: "2027-02-15",
           reminders: {escalate_after: null, overdue: null}}
    """)
    again = type(document).model_validate_json(document.model_dump_json())
    for item, copy in zip(document.plans[0].items, again.plans[0].items, strict=True):
        assert again.policy_for(copy) == document.policy_for(item)
    first, second = (again.policy_for(item) for item in again.plans[0].items)
    assert first.overdue == ("P3D", "P7D") and first.escalate_after == "P10D"
    assert second.overdue == () and second.escalate_after is None
