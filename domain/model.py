"""The plan file's data model: organisation, people, portfolios, indicators and yearly plans."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    FiniteFloat,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from domain.durations import parse_duration

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SIRET_PATTERN = re.compile(r"\d{14}")
CPV_PREFIX_PATTERN = re.compile(r"\d{2,8}")  # the start of a CPV code, without its check digit
EMAIL_PATTERN = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# What could end a header or an .ics line, or hide in one: C0, DEL, C1, line separators.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
TEXT_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")  # \t, \n kept
WALLCLOCK_PATTERN = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?))?"
    r"(?P<offset>Z|[+-]\d{2}:?\d{2})?$"
)


class Role(StrEnum):
    officer = "officer"
    buyer = "buyer"
    direction = "direction"
    admin = "admin"


class Kind(StrEnum):
    regulatory_watch_review = "regulatory_watch_review"
    training_session = "training_session"
    supplier_meeting = "supplier_meeting"
    indicator_checkpoint = "indicator_checkpoint"
    action = "action"

    @property
    def is_event(self) -> bool:
        return self in (Kind.training_session, Kind.supplier_meeting)


class OnHoliday(StrEnum):
    next_working_day = "next_working_day"
    previous_working_day = "previous_working_day"
    keep = "keep"


class Weekday(StrEnum):
    MO = "MO"
    TU = "TU"
    WE = "WE"
    TH = "TH"
    FR = "FR"
    SA = "SA"
    SU = "SU"

    @property
    def number(self) -> int:
        """Monday is 0, as in date.weekday()."""
        return list(Weekday).index(self)


class BuyerCategory(StrEnum):
    """Which European threshold applies to the buyer's supplies and services."""

    local = "local"  # collectivités and other contracting authorities
    central = "central"  # the State's central authorities
    utility = "utility"  # entités adjudicatrices (networks)


class Locale(StrEnum):
    fr = "fr"
    en = "en"


class Unit(StrEnum):
    percent = "percent"
    count = "count"  # type: ignore[assignment]  # the plan format's word, shadows str.count
    euros = "euros"
    hours = "hours"


class Direction(StrEnum):
    increase = "increase"
    decrease = "decrease"


class Aggregation(StrEnum):
    """How an indicator's values over the year make the year's figure."""

    sum = "sum"  # counts, euros, hours delivered
    mean = "mean"
    last = "last"  # a level measured at each checkpoint: the latest one counts
    ratio = "ratio"  # 100 × Σ numerator / Σ denominator (two other indicators)


class Scope(StrEnum):
    portfolio = "portfolio"
    organisation = "organisation"


class Computed(StrEnum):
    """Indicators Boucle measures from its own tasks or the buyer's DECP data, never typed in."""

    watch_reviews_on_time = "watch_reviews_on_time"  # % of regulatory-watch reviews on time
    trainings_held = "trainings_held"  # training sessions done
    sourcing_meetings_held = "sourcing_meetings_held"  # supplier meetings done
    # % of the year's notified contracts (in number) with this consideration, from DECP data
    decp_environmental = "decp.environmental"
    decp_social = "decp.social"
    decp_reserved = "decp.reserved"
    decp_social_clause = "decp.social_clause"
    decp_social_criterion = "decp.social_criterion"
    decp_environmental_clause = "decp.environmental_clause"
    decp_environmental_criterion = "decp.environmental_criterion"

    @property
    def from_contracts(self) -> bool:
        return self.value.startswith("decp.")


class Pillar(StrEnum):
    environmental = "environmental"
    social = "social"
    economic = "economic"
    circular_economy = "circular_economy"  # the SPASER's contribution to the circular economy


class Level(StrEnum):
    strategic = "strategic"
    organisational = "organisational"
    operational = "operational"


def _identifier(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and not ID_PATTERN.fullmatch(value):  # `$` also ends at "\n"
        raise PydanticCustomError("bad_id", "bad id", {"value": visible(value)})
    return value


def visible(text: str) -> str:
    """`text` with its control characters written as escapes, to quote it in one line."""
    return CONTROL_CHARACTER.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _single_line(value: Any) -> Any:
    """Refuse a control character in text that reaches an email header or an .ics line."""
    if isinstance(value, str) and (found := CONTROL_CHARACTER.search(value)):
        raise PydanticCustomError(
            "control_character",
            "control character {character} is not allowed: this text fits on one line",
            {"character": f"U+{ord(found.group()):04X}"},
        )
    return value


def _free_text(value: Any) -> Any:
    """Keep line breaks and tabs in longer text, refuse every other control character."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n")
    if found := TEXT_CONTROL_CHARACTER.search(value):
        raise PydanticCustomError(
            "control_character_text",
            "control character {character} is not allowed",
            {"character": f"U+{ord(found.group()):04X}"},
        )
    return value


def _siret(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:014d}"  # a SIRET typed as a number, as a spreadsheet would keep it
    if isinstance(value, str):
        value = value.replace(" ", "")
        if not SIRET_PATTERN.fullmatch(value):
            raise PydanticCustomError("bad_siret", "bad siret", {"value": visible(value)})
    return value


def _cpv_prefix(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and not CPV_PREFIX_PATTERN.fullmatch(value):
        raise PydanticCustomError("bad_cpv", "bad cpv", {"value": visible(value)})
    return value


def _filled_line(value: Any) -> Any:
    """One line of text with something in it: a title of spaces names nothing."""
    value = _single_line(value)
    if isinstance(value, str) and not value.strip():
        raise PydanticCustomError("blank_text", "blank text", {})
    return value


def _email(value: Any) -> Any:
    value = _single_line(value)
    if isinstance(value, str) and not EMAIL_PATTERN.match(value.strip()):
        raise PydanticCustomError("bad_email", "bad email", {"value": value})
    return value.strip() if isinstance(value, str) else value


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        try:
            parsed = parse_duration(value)
        except ValueError:
            raise PydanticCustomError("bad_duration", "bad duration", {"value": value}) from None
        if parsed.total.total_seconds() < 0:
            raise PydanticCustomError("negative_duration", "negative", {"value": value})
        return value.strip()
    return value


def _clock(value: Any) -> Any:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, str):
        match = re.match(r"^(\d{1,2}):(\d{2})$", value.strip())
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise PydanticCustomError("bad_time", "bad time", {"value": value})
        return f"{int(match.group(1)):02d}:{match.group(2)}"
    return value


def _wallclock(value: Any) -> Any:
    """Normalise a local date or date-time to 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM[:SS]'."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise PydanticCustomError("has_offset", "offset", {"value": value.isoformat()})
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        match = WALLCLOCK_PATTERN.match(value.strip())
        if not match:
            raise PydanticCustomError("bad_datetime", "bad date", {"value": value})
        if match.group("offset"):
            raise PydanticCustomError("has_offset", "offset", {"value": value})
        text = match.group("date") + ("T" + match.group("time") if match.group("time") else "")
        try:
            (datetime.fromisoformat(text) if match.group("time") else date.fromisoformat(text))
        except ValueError:
            raise PydanticCustomError("bad_datetime", "bad date", {"value": value}) from None
        return text
    return value


Identifier = Annotated[str, BeforeValidator(_identifier)]
SingleLine = Annotated[str, BeforeValidator(_single_line)]
FilledLine = Annotated[str, BeforeValidator(_filled_line)]
FreeText = Annotated[str, BeforeValidator(_free_text)]
Email = Annotated[str, BeforeValidator(_email)]
Siret = Annotated[str, BeforeValidator(_siret)]
CpvPrefix = Annotated[str, BeforeValidator(_cpv_prefix)]
DurationText = Annotated[str, BeforeValidator(_duration)]
ClockText = Annotated[str, BeforeValidator(_clock)]
WallClock = Annotated[str, BeforeValidator(_wallclock)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Organisation(StrictModel):
    name: SingleLine
    timezone: str = "Europe/Paris"
    locale: Locale = Locale.fr
    holidays: str | None = "FR"
    working_days: list[Weekday] = Field(
        default_factory=lambda: [Weekday.MO, Weekday.TU, Weekday.WE, Weekday.TH, Weekday.FR]
    )
    on_holiday: OnHoliday = OnHoliday.next_working_day
    sirets: list[Siret] = Field(default_factory=list)  # whose DECP contracts are the buyer's
    buyer_category: BuyerCategory = BuyerCategory.local  # which European threshold applies
    # The last year whose SPASER indicators were published (every two years, CCP L2111-3).
    indicators_published_for: int | None = Field(default=None, ge=2000, le=2100)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError("bad_timezone", "tz", {"value": value}) from None
        return value

    @field_validator("holidays")
    @classmethod
    def _known_holidays(cls, value: str | None) -> str | None:
        from domain.calendar import holiday_calendar_exists

        if value is not None and not holiday_calendar_exists(value):
            raise PydanticCustomError("bad_holidays", "holidays", {"value": value})
        return value

    @field_validator("working_days")
    @classmethod
    def _some_working_day(cls, value: list[Weekday]) -> list[Weekday]:
        if not value:
            raise PydanticCustomError("no_working_day", "none", {})
        return value

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Person(StrictModel):
    id: Identifier
    name: SingleLine
    email: Email
    role: Role
    locale: Locale | None = None
    digest_only: bool = False


class Portfolio(StrictModel):
    id: Identifier
    name: SingleLine
    owner: Identifier | None = None
    buyers: list[Identifier] = Field(default_factory=list)
    cpv: list[CpvPrefix] = Field(default_factory=list)  # the DECP contracts that are its own


class Indicator(StrictModel):
    id: Identifier
    name: SingleLine
    unit: Unit
    direction: Direction = Direction.increase
    baseline: FiniteFloat | None = None
    target: FiniteFloat | None = None
    floor: FiniteFloat | None = None
    portfolios: list[Identifier] = Field(default_factory=list)
    source: SingleLine | None = None
    aggregation: Aggregation = Aggregation.last
    scope: Scope = Scope.portfolio
    numerator: Identifier | None = None  # for a ratio: the indicator summed above the line
    denominator: Identifier | None = None
    computed: Computed | None = None


def _escalation(value: Any) -> Any:
    return value if value == ESCALATION_OFF else _duration(value)


ESCALATION_OFF = "off"
EscalationText = Annotated[str, BeforeValidator(_escalation)]


class ReminderOverride(StrictModel):
    """Any subset of reminder settings; unset keys inherit from the level above.

    An explicit null turns a setting off. It is stored as a value ([] or "off") rather than
    as None, so that the meaning survives serialisation into workflow payloads.
    """

    before: list[DurationText] | None = None
    on_due: bool | None = None
    overdue: list[DurationText] | None = None
    escalate_after: EscalationText | None = None
    send_at: ClockText | None = None

    @model_validator(mode="before")
    @classmethod
    def _explicit_nulls_turn_off(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key in ("before", "overdue"):
                if key in data and data[key] is None:
                    data[key] = []
            if "escalate_after" in data and data["escalate_after"] is None:
                data["escalate_after"] = ESCALATION_OFF
        return data

    @model_serializer(mode="wrap")
    def _without_inherited(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Unset keys inherit; written out as null they would read back as "off".
        data = handler(self)
        return {key: value for key, value in data.items() if value is not None}


class ReminderPolicy(StrictModel):
    """Fully resolved reminder settings for one task."""

    before: tuple[str, ...] = ("P7D", "P1D")
    on_due: bool = True
    overdue: tuple[str, ...] = ("P3D", "P7D")
    escalate_after: str | None = "P10D"
    send_at: str = "09:00"

    def merged(self, override: ReminderOverride | None) -> ReminderPolicy:
        if override is None:
            return self
        changes: dict[str, Any] = {}
        for key in ReminderOverride.model_fields:
            value = getattr(override, key)
            if isinstance(value, list):
                changes[key] = tuple(value)
            elif value == ESCALATION_OFF and key == "escalate_after":
                changes[key] = None
            elif value is not None:
                changes[key] = value
        return self.model_copy(update=changes)

    @cached_property
    def send_time(self) -> time:
        hours, minutes = self.send_at.split(":")
        return time(int(hours), int(minutes))


class RemindersSection(ReminderOverride):
    """The organisation's default policy, with optional overrides per kind of item."""

    kinds: dict[Kind, ReminderOverride] = Field(default_factory=dict)


class Objective(StrictModel):
    id: Identifier
    statement: FreeText
    pillar: Pillar | None = None
    level: Level | None = None
    indicators: list[Identifier] = Field(default_factory=list)


class PlanItem(StrictModel):
    id: Identifier
    kind: Kind
    title: FilledLine
    assignees: list[Identifier]
    start: WallClock | None = None
    due: WallClock | None = None
    rrule: SingleLine | None = None
    duration: DurationText | None = None
    location: SingleLine | None = None
    attendees: list[Identifier] = Field(default_factory=list)
    indicators: list[Identifier] = Field(default_factory=list)
    objective: Identifier | None = None
    reminders: ReminderOverride | None = None
    on_holiday: OnHoliday | None = None
    description: FreeText | None = None
    carried_over_from: SingleLine | None = None

    @property
    def anchor(self) -> str:
        """The local date or date-time occurrences are computed from."""
        return self.start or self.due or ""


class YearPlan(StrictModel):
    portfolio: Identifier
    year: int
    approve_by: WallClock | None = None
    evaluate_on: WallClock | None = None
    objectives: list[Objective] = Field(default_factory=list)
    items: list[PlanItem] = Field(default_factory=list)

    @field_validator("year")
    @classmethod
    def _sane_year(cls, value: int) -> int:
        if not 2000 <= value <= 2100:
            raise PydanticCustomError("year_range", "year", {"value": value})
        return value

    @property
    def key(self) -> str:
        return f"{self.portfolio}/{self.year}"


class PlanFile(StrictModel):
    version: Literal[1]
    organisation: Organisation
    people: list[Person] = Field(default_factory=list)
    portfolios: list[Portfolio] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    reminders: RemindersSection = Field(default_factory=RemindersSection)
    plans: list[YearPlan] = Field(default_factory=list)

    @cached_property
    def people_by_id(self) -> dict[str, Person]:
        return {person.id: person for person in self.people}

    @cached_property
    def officers(self) -> tuple[str, ...]:
        return tuple(person.id for person in self.people if person.role == Role.officer)

    @cached_property
    def directors(self) -> tuple[str, ...]:
        return tuple(person.id for person in self.people if person.role == Role.direction)

    def policy_for_defaults(self) -> ReminderPolicy:
        """The organisation's default reminder policy, before kind and item overrides."""
        return ReminderPolicy().merged(self.reminders)

    def policy_for(self, item: PlanItem) -> ReminderPolicy:
        """Resolve the reminder policy of an item: organisation, then kind, then item."""
        return (
            self.policy_for_defaults()
            .merged(self.reminders.kinds.get(item.kind))
            .merged(item.reminders)
        )

    def plan(self, portfolio: str, year: int) -> YearPlan | None:
        for plan in self.plans:
            if plan.portfolio == portfolio and plan.year == year:
                return plan
        return None
