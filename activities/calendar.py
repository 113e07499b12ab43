"""Holiday tables for workflows: computed here, recorded in history, replayed unchanged."""

from __future__ import annotations

from temporalio import activity

from domain.calendar import holiday_table
from domain.model import Organisation
from workflows.types import ActivityName


def cycle_holidays(organisation: Organisation, year: int) -> dict[str, str]:
    """Holidays a cycle of `year` can meet: reminders of the year before, overdue notices after."""
    return holiday_table(organisation, range(year - 1, year + 2))


@activity.defn(name=ActivityName.holiday_table)
def holiday_table_activity(
    organisation: Organisation, first_year: int, last_year: int
) -> dict[str, str]:
    return holiday_table(organisation, range(first_year, last_year + 1))
