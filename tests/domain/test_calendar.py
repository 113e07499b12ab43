"""Occurrences: RRULE expansion, DST, holidays, working-day moves and task identity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.calendar import WorkingCalendar, holiday_calendar_exists
from domain.model import Organisation
from domain.tasks import plan_tasks
from tests.plans import plan_with


def tasks_of(items: str, **options: str):
    document = plan_with(items, **options)
    return plan_tasks(document, document.plans[0])


def test_monthly_first_monday_keeps_wall_clock_across_both_dst_changes() -> None:
    tasks = tasks_of("""
        - {id: veille, kind: regulatory_watch_review, title: Veille, assignees: [resto],
           start: "2027-01-04T09:30", rrule: "FREQ=MONTHLY;BYDAY=1MO"}
    """)
    assert [t.due.strftime("%H:%M") for t in tasks] == ["09:30"] * 12
    offsets = {t.original.date().isoformat(): t.due.isoformat()[-6:] for t in tasks}
    # 2027 DST: forward on 28 March, back on 31 October.
    assert offsets["2027-03-01"] == "+01:00"
    assert offsets["2027-04-05"] == "+02:00"
    assert offsets["2027-10-04"] == "+02:00"
    assert offsets["2027-12-06"] == "+01:00"


def test_weekly_occurrences_around_dst_have_same_local_time_but_different_utc() -> None:
    tasks = tasks_of("""
        - {id: hebdo, kind: action, title: Hebdo, assignees: [resto],
           start: "2027-03-22T08:00", rrule: "FREQ=WEEKLY;COUNT=3"}
    """)
    assert [t.due.hour for t in tasks] == [8, 8, 8]
    assert [t.due.isoformat()[-6:] for t in tasks] == ["+01:00", "+02:00", "+02:00"]
    assert [t.due.astimezone(UTC).hour for t in tasks] == [7, 6, 6]


@pytest.mark.parametrize(
    ("day", "landed", "holiday"),
    [
        ("2027-03-29", "2027-03-30", "Lundi de Pâques"),
        ("2027-05-06", "2027-05-07", "Ascension"),
        ("2027-05-17", "2027-05-18", "Lundi de Pentecôte"),
        ("2027-11-01", "2027-11-02", "Toussaint"),
        ("2027-05-08", "2027-05-10", "Fête de la Victoire"),  # a Saturday and a holiday
    ],
)
def test_occurrence_on_a_holiday_moves_to_the_next_working_day(
    day: str, landed: str, holiday: str
) -> None:
    tasks = tasks_of(f"""
        - {{id: a, kind: action, title: A, assignees: [resto], start: "{day}T10:00"}}
    """)
    (task,) = tasks
    assert task.due.date().isoformat() == landed
    assert task.due.strftime("%H:%M") == "10:00"
    assert task.shifted_from is not None
    assert task.shifted_from.date().isoformat() == day
    assert task.id == f"restauration/2027/a/{day}"
    calendar = WorkingCalendar.of(plan_with("").organisation)
    assert holiday in (calendar.holiday_name(task.original.date()) or "")


def test_previous_working_day_and_keep_policies() -> None:
    previous = tasks_of(
        """
        - {id: a, kind: action, title: A, assignees: [resto], start: "2027-11-01T10:00"}
    """,
        on_holiday="previous_working_day",
    )
    assert previous[0].due.date().isoformat() == "2027-10-29"
    kept = tasks_of(
        """
        - {id: a, kind: action, title: A, assignees: [resto], start: "2027-11-01T10:00"}
    """,
        on_holiday="keep",
    )
    assert kept[0].due.date().isoformat() == "2027-11-01"
    assert kept[0].shifted_from is None


def test_item_level_on_holiday_overrides_the_organisation() -> None:
    tasks = tasks_of("""
        - {id: a, kind: action, title: A, assignees: [resto], start: "2027-11-01T10:00",
           on_holiday: previous_working_day}
    """)
    assert tasks[0].due.date().isoformat() == "2027-10-29"


def test_good_friday_is_a_holiday_in_moselle_and_alsace_only() -> None:
    items = """
        - {id: a, kind: action, title: A, assignees: [resto], start: "2027-03-26T10:00"}
    """
    assert tasks_of(items)[0].shifted_from is None
    for code in ("FR-57", "FR-6AE"):
        moved = tasks_of(items, holidays=code)[0]
        assert moved.original.date().isoformat() == "2027-03-26"
        # Friday 26 → Monday 29 is Easter Monday → Tuesday 30 March.
        assert moved.due.date().isoformat() == "2027-03-30"


def test_saint_stephen_is_a_holiday_in_moselle() -> None:
    items = """
        - {id: a, kind: action, title: A, assignees: [resto], start: "2027-12-27T10:00",
           rrule: "FREQ=DAILY;COUNT=1"}
        - {id: b, kind: action, title: B, assignees: [resto], due: "2027-12-24"}
    """
    tasks = {t.item: t for t in tasks_of(items, holidays="FR-57")}
    assert tasks["a"].shifted_from is None
    calendar = WorkingCalendar.of(plan_with("", holidays="FR-57").organisation)
    assert calendar.holiday_name(datetime(2027, 12, 26).date()) is not None


def test_date_only_due_is_due_at_five_pm_local() -> None:
    (task,) = tasks_of("""
        - {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15"}
    """)
    assert task.due.isoformat() == "2027-02-15T17:00:00+01:00"
    assert task.id == "restauration/2027/pub/2027-02-15"


def test_rrule_is_cut_at_the_end_of_the_plan_year() -> None:
    tasks = tasks_of("""
        - {id: q, kind: indicator_checkpoint, title: Q, assignees: [resto],
           indicators: [part-bio], start: "2027-03-31T17:00",
           rrule: "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1"}
    """)
    assert [t.original.date().isoformat() for t in tasks] == [
        "2027-03-31",
        "2027-06-30",
        "2027-09-30",
        "2027-12-31",
    ]


def test_rrule_with_utc_until_is_accepted() -> None:
    tasks = tasks_of("""
        - {id: w, kind: action, title: W, assignees: [resto], start: "2027-01-05T10:00",
           rrule: "FREQ=WEEKLY;UNTIL=20270126T090000Z"}
    """)
    assert len(tasks) == 4


def test_task_id_uses_the_unshifted_date_like_recurrence_id() -> None:
    tasks = tasks_of("""
        - {id: veille, kind: regulatory_watch_review, title: Veille, assignees: [resto],
           start: "2027-01-04T09:30", rrule: "FREQ=MONTHLY;BYDAY=1MO"}
    """)
    november = [t for t in tasks if t.original.month == 11][0]
    assert november.id == "restauration/2027/veille/2027-11-01"
    assert november.due.date().isoformat() == "2027-11-02"


def test_holiday_calendar_codes() -> None:
    assert holiday_calendar_exists("FR")
    assert holiday_calendar_exists("FR-57")
    assert holiday_calendar_exists("FR-6AE")
    assert not holiday_calendar_exists("FR-99")
    assert not holiday_calendar_exists("XX")


def test_organisation_defaults() -> None:
    organisation = Organisation(name="X")
    calendar = WorkingCalendar.of(organisation)
    assert calendar.is_working_day(datetime(2027, 1, 4).date())
    assert not calendar.is_working_day(datetime(2027, 1, 1).date())
    assert not calendar.is_working_day(datetime(2027, 1, 2).date())
