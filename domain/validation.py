"""Plan validation that reports every error at once, each at its line and field path."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from domain.calendar import (
    TooManyOccurrences,
    anchor_datetime,
    expand_rrule,
    parse_recurrence,
)
from domain.errors import PlanError, PlanInvalid, format_path
from domain.messages import MESSAGES
from domain.model import (
    Aggregation,
    Indicator,
    Organisation,
    Person,
    PlanFile,
    PlanItem,
    Portfolio,
    RemindersSection,
    Role,
    YearPlan,
)
from domain.source import Path, Source, parse_source

Model = TypeVar("Model", bound=BaseModel)

MAX_OCCURRENCES_PER_FILE = 50_000  # a région's year (100 portfolios × 40 items) has 11,600
MAX_DAYS_SCANNED_PER_FILE = 500_000  # its rules, 121,500; one that almost never occurs, 10,600
MAX_RRULE_LENGTH = 500
SUB_DAILY = ("SECONDLY", "MINUTELY", "HOURLY")
TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
NON_STANDARD_PARTS = ("BYEASTER",)  # a dateutil extension

_TYPE_WORDS = {
    "fr": {
        "str": "texte",
        "int": "nombre entier",
        "float": "nombre",
        "bool": "booléen",
        "list": "liste",
        "dict": "objet (clé: valeur)",
        "NoneType": "vide",
        "date": "date",
        "datetime": "date et heure",
    },
    "en": {
        "str": "text",
        "int": "whole number",
        "float": "number",
        "bool": "boolean",
        "list": "list",
        "dict": "mapping (key: value)",
        "NoneType": "empty",
        "date": "date",
        "datetime": "date and time",
    },
}
_EXPECTED_BY_ERROR = {
    "string_type": "str",
    "int_type": "int",
    "int_parsing": "int",
    "int_from_float": "int",
    "float_type": "float",
    "float_parsing": "float",
    "bool_type": "bool",
    "bool_parsing": "bool",
    "list_type": "list",
    "tuple_type": "list",
    "dict_type": "dict",
    "model_type": "dict",
    "model_attributes_type": "dict",
}


@dataclass
class _Recurrences:
    """What the file's items have cost so far; past a limit, rules are only read."""

    occurrences: int = 0
    days_scanned: int = 0
    spent: bool = False


class _Collector:
    """Accumulates located errors while validation walks the document."""

    def __init__(self, source: Source, locale: str) -> None:
        self.source = source
        self.locale = locale
        self.errors: list[PlanError] = []

    def add(self, path: Path, code: str, **params: Any) -> None:
        self.errors.append(
            PlanError(self.source.line_of(path), format_path(path), code, tuple(params.items()))
        )

    def words(self, type_name: str) -> str:
        return _TYPE_WORDS[self.locale].get(type_name, type_name)

    def from_pydantic(self, prefix: Path, error: ValidationError) -> None:
        for detail in error.errors(include_url=False):
            loc = tuple(
                part for part in detail["loc"] if isinstance(part, int) or "[" not in str(part)
            )
            path: Path = (*prefix, *loc)
            kind = detail["type"]
            context = dict(detail.get("ctx") or {})
            value = detail.get("input")
            if kind in MESSAGES:
                self.add(path, kind, **context)
            elif kind == "missing":
                self.add(path, "missing")
            elif kind == "extra_forbidden":
                name = str(path[-1]) if path else ""
                self.add(
                    path, "unknown_field_comma" if " " in name else "unknown_field", field=name
                )
            elif kind in ("enum", "literal_error"):
                if path == ("version",):
                    self.add(path, "version", value=value)
                else:
                    self.add(path, "choice", value=value, expected=context.get("expected", ""))
            elif kind in _EXPECTED_BY_ERROR:
                self.add(
                    path,
                    "type",
                    found=self.words(type(value).__name__),
                    expected=self.words(_EXPECTED_BY_ERROR[kind]),
                )
            else:
                self.add(path, "invalid", detail=detail["msg"])

    def model(self, cls: type[Model], data: Any, path: Path) -> Model | None:
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            self.from_pydantic(path, error)
            return None

    def models(self, cls: type[Model], data: Any, path: Path) -> list[tuple[int, Model]]:
        if data is None:
            return []
        if not isinstance(data, list):
            self.add(
                path, "type", found=self.words(type(data).__name__), expected=self.words("list")
            )
            return []
        valid = []
        for index, element in enumerate(data):
            model = self.model(cls, element, (*path, index))
            if model is not None:
                valid.append((index, model))
        return valid


def load_plan(text: str, *, is_json: bool = False) -> PlanFile:
    """Parse and validate a plan file; raise PlanInvalid listing every error."""
    source = parse_source(text, is_json=is_json)
    if source.problems:
        raise PlanInvalid(source.problems, _declared_locale(source.data))
    document, errors, locale = validate_source(source)
    if errors or document is None:
        raise PlanInvalid(errors, locale)
    return document


def validate_source(source: Source) -> tuple[PlanFile | None, list[PlanError], str]:
    """Validate parsed data; return the plan (when valid), its errors and the message locale."""
    data = source.data
    locale = _declared_locale(data)
    check = _Collector(source, locale)
    if not isinstance(data, dict):
        found = check.words(type(data).__name__)
        check.add((), "not_mapping", found=found)
        return None, check.errors, locale

    for key in data:
        if key not in PlanFile.model_fields:
            check.add((key,), "unknown_field", field=key)
    if "version" not in data:
        check.add(("version",), "missing")
    elif data["version"] != 1 or isinstance(data["version"], bool):
        check.add(("version",), "version", value=data["version"])
    organisation = None
    if "organisation" not in data:
        check.add(("organisation",), "missing")
    else:
        organisation = check.model(Organisation, data["organisation"], ("organisation",))
    people = check.models(Person, data.get("people"), ("people",))
    portfolios = check.models(Portfolio, data.get("portfolios"), ("portfolios",))
    indicators = check.models(Indicator, data.get("indicators"), ("indicators",))
    reminders = check.model(RemindersSection, data.get("reminders") or {}, ("reminders",))
    plans = _validate_plans(check, data.get("plans"))

    person_index = _unique(check, "people", people, lambda person: person.id)
    portfolio_index = _unique(check, "portfolios", portfolios, lambda folio: folio.id)
    indicator_index = _unique(check, "indicators", indicators, lambda indicator: indicator.id)
    # Entries that failed validation still define their id: no cascade of "unknown" errors.
    person_index.update(_raw_ids(data.get("people")))
    portfolio_index.update(_raw_ids(data.get("portfolios")))
    indicator_index.update(_raw_ids(data.get("indicators")))
    roles = {person.id: person.role for _, person in people}

    def person(path: Path, value: str, allowed: Iterable[Role] | None = None) -> None:
        if value not in person_index:
            check.add(path, "unknown_person", value=value)
        elif allowed is not None and value in roles and roles[value] not in allowed:
            expected = " / ".join(role.value for role in allowed)
            check.add(path, "wrong_role", value=value, role=roles[value].value, expected=expected)

    workers = (Role.buyer, Role.officer)
    for index, folio in portfolios:
        base: Path = ("portfolios", index)
        if folio.owner is not None:
            person((*base, "owner"), folio.owner, workers)
        for position, buyer in enumerate(folio.buyers):
            person((*base, "buyers", position), buyer, workers)
    for index, indicator in indicators:
        for position, folio_id in enumerate(indicator.portfolios):
            if folio_id not in portfolio_index:
                check.add(
                    ("indicators", index, "portfolios", position),
                    "unknown_portfolio",
                    value=folio_id,
                )
        parts = {"numerator": indicator.numerator, "denominator": indicator.denominator}
        if indicator.aggregation == Aggregation.ratio:
            for field_name, part in parts.items():
                if part is None:
                    check.add(("indicators", index, field_name), "ratio_needs_parts")
                elif part not in indicator_index or part == indicator.id:
                    check.add(("indicators", index, field_name), "unknown_indicator", value=part)
        else:
            for field_name, part in parts.items():
                if part is not None:
                    check.add(("indicators", index, field_name), "parts_without_ratio")

    seen_plans: dict[tuple[str, int], int] = {}
    recurrences = _Recurrences()
    for index, plan, item_models in plans:
        base = ("plans", index)
        key = (plan.portfolio, plan.year)
        if key in seen_plans:
            check.add(
                base,
                "duplicate_plan",
                portfolio=plan.portfolio,
                year=plan.year,
                first_line=seen_plans[key],
            )
        else:
            seen_plans[key] = source.line_of(base)
        if plan.portfolio not in portfolio_index:
            check.add((*base, "portfolio"), "unknown_portfolio", value=plan.portfolio)
        if plan.evaluate_on and not (
            date(plan.year, 1, 1) < _as_date(plan.evaluate_on) <= date(plan.year + 1, 3, 31)
        ):
            check.add(
                (*base, "evaluate_on"), "evaluate_on_range", value=plan.evaluate_on, year=plan.year
            )
        if plan.approve_by and _as_date(plan.approve_by) > date(plan.year, 12, 31):
            check.add(
                (*base, "approve_by"), "approve_by_late", value=plan.approve_by, year=plan.year
            )
        objectives = _unique(
            check,
            f"plans[{index}].objectives",
            list(enumerate(plan.objectives)),
            lambda objective: objective.id,
            base=(*base, "objectives"),
        )
        for position, objective in enumerate(plan.objectives):
            for slot, indicator_id in enumerate(objective.indicators):
                if indicator_id not in indicator_index:
                    check.add(
                        (*base, "objectives", position, "indicators", slot),
                        "unknown_indicator",
                        value=indicator_id,
                    )
        _unique(check, "", item_models, lambda item: item.id, base=(*base, "items"))
        for position, item in item_models:
            _check_item(
                check,
                (*base, "items", position),
                item,
                plan.year,
                person,
                indicator_index,
                objectives,
                workers,
            )
            _check_occurrences(check, (*base, "items", position), item, plan.year, recurrences)

    if check.errors or organisation is None or reminders is None:
        return None, check.errors, locale
    document = PlanFile(
        version=1,
        organisation=organisation,
        people=[person for _, person in people],
        portfolios=[folio for _, folio in portfolios],
        indicators=[indicator for _, indicator in indicators],
        reminders=reminders,
        plans=[
            plan.model_copy(update={"items": [item for _, item in item_models]})
            for _, plan, item_models in plans
        ],
    )
    return document, [], locale


def _declared_locale(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("organisation"), dict):
        locale = data["organisation"].get("locale")
        if locale in ("fr", "en"):
            return str(locale)
    return "fr"


def _validate_plans(
    check: _Collector, data: Any
) -> list[tuple[int, YearPlan, list[tuple[int, PlanItem]]]]:
    if data is None:
        return []
    if not isinstance(data, list):
        check.add(
            ("plans",), "type", found=check.words(type(data).__name__), expected=check.words("list")
        )
        return []
    plans = []
    for index, raw in enumerate(data):
        path: Path = ("plans", index)
        if not isinstance(raw, dict):
            check.add(
                path, "type", found=check.words(type(raw).__name__), expected=check.words("dict")
            )
            continue
        header = {key: value for key, value in raw.items() if key != "items"}
        plan = check.model(YearPlan, header, path)
        items = check.models(PlanItem, raw.get("items"), (*path, "items"))
        if plan is not None:
            plans.append((index, plan, items))
    return plans


def _unique(
    check: _Collector,
    section: str,
    entries: list[tuple[int, Model]],
    key: Callable[[Model], str],
    base: Path | None = None,
) -> dict[str, int]:
    """Index entries by id, reporting each id used twice."""
    root: Path = base if base is not None else (section,)
    seen: dict[str, int] = {}
    for index, entry in entries:
        identifier = key(entry)
        path = (*root, index, "id")
        if identifier in seen:
            check.add(path, "duplicate_id", value=identifier, first_line=seen[identifier])
        else:
            seen[identifier] = check.source.line_of(path)
    return seen


def _raw_ids(entries: Any) -> dict[str, int]:
    if not isinstance(entries, list):
        return {}
    return {
        entry["id"]: 0
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("id"), str)
    }


def _as_date(text: str) -> date:
    return date.fromisoformat(text[:10])


def _check_item(
    check: _Collector,
    path: Path,
    item: PlanItem,
    year: int,
    person: Callable[..., None],
    indicators: dict[str, int],
    objectives: dict[str, int],
    workers: tuple[Role, ...],
) -> None:
    if not item.assignees:
        check.add((*path, "assignees"), "empty_list")
    for position, assignee in enumerate(item.assignees):
        person((*path, "assignees", position), assignee, workers)
    if item.attendees and not item.kind.is_event:
        check.add((*path, "attendees"), "attendees_non_event", kind=item.kind.value)
    for position, attendee in enumerate(item.attendees):
        person((*path, "attendees", position), attendee)
    if item.indicators and item.kind.value != "indicator_checkpoint":
        check.add((*path, "indicators"), "indicators_non_checkpoint", kind=item.kind.value)
    if item.kind.value == "indicator_checkpoint" and not item.indicators:
        check.add((*path, "indicators"), "checkpoint_needs_indicators")
    for position, indicator_id in enumerate(item.indicators):
        if indicator_id not in indicators:
            check.add((*path, "indicators", position), "unknown_indicator", value=indicator_id)
    if item.objective is not None and item.objective not in objectives:
        check.add((*path, "objective"), "unknown_objective", value=item.objective)
    if (item.start is None) == (item.due is None):
        check.add((*path, "start" if item.start is not None else "due"), "start_or_due")
        return
    field = "start" if item.start is not None else "due"
    if item.kind.is_event and "T" not in item.anchor:
        check.add((*path, field), "event_needs_time", kind=item.kind.value)


def _check_occurrences(
    check: _Collector, path: Path, item: PlanItem, year: int, recurrences: _Recurrences
) -> None:
    """Count the item's occurrences in its year, within the item's and the file's limits."""
    if (item.start is None) == (item.due is None):
        return
    field = "start" if item.start is not None else "due"
    start, _ = anchor_datetime(item)
    if start.year != year:
        check.add((*path, field), "outside_year", value=item.anchor, year=year)
        return
    count = 1
    if item.rrule:
        rule_path = (*path, "rrule")
        problem = _rrule_problem(item.rrule)
        if problem is not None:
            check.add(rule_path, problem[0], **problem[1])
            return
        try:
            if recurrences.spent:  # the file is refused already: read the rule, no more
                parse_recurrence(item.rrule, start)
                return
            expansion = expand_rrule(item.rrule, start, year)  # zone only moves UNTIL
        except TooManyOccurrences as error:
            recurrences.days_scanned += error.days_scanned
            check.add(rule_path, "item_occurrences", limit=error.limit, year=year)
            return
        except (ValueError, TypeError, KeyError, IndexError) as error:
            check.add(rule_path, "bad_rrule", detail=str(error) or type(error).__name__)
            return
        recurrences.days_scanned += expansion.days_scanned
        count = len(expansion.moments)
        if not count:
            check.add(rule_path, "rrule_empty", year=year)
        if recurrences.days_scanned > MAX_DAYS_SCANNED_PER_FILE:
            check.add(rule_path, "file_days_scanned", limit=MAX_DAYS_SCANNED_PER_FILE)
            recurrences.spent = True
    recurrences.occurrences += count
    if recurrences.occurrences > MAX_OCCURRENCES_PER_FILE and not recurrences.spent:
        check.add(path, "file_occurrences", limit=MAX_OCCURRENCES_PER_FILE)
        recurrences.spent = True


def _rrule_problem(rule: str) -> tuple[str, dict[str, Any]] | None:
    """What the plan format refuses in a rule dateutil would read: sub-daily tasks and such."""
    if len(rule) > MAX_RRULE_LENGTH:
        return "rrule_too_long", {"limit": MAX_RRULE_LENGTH}
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    for part in text.split(";"):
        key, _, value = part.partition("=")
        key, value = key.strip().upper(), value.strip().upper()
        if key == "FREQ" and value in SUB_DAILY:
            return "rrule_frequency", {"value": value}
        if key in TIME_PARTS:
            return "rrule_time_part", {"value": key}
        if key in NON_STANDARD_PARTS:
            return "rrule_nonstandard", {"value": key}
    return None


__all__ = ["load_plan", "validate_source", "PlanInvalid", "datetime"]
