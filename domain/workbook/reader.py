"""A plan workbook's cells as plan data, validated as a plan file is, errors at their cells."""

from __future__ import annotations

from typing import Any, Literal

from domain.errors import CellLocation, PlanError, PlanInvalid
from domain.model import PlanFile
from domain.source import Path, Source
from domain.validation import validate_source
from domain.workbook import layout
from domain.workbook.labels import words
from domain.workbook.layout import COLUMNS, DATA_SHEETS, RULE_KEYS
from domain.workbook.phrases import RecurrenceColumns, columns_rule
from domain.workbook.rows import (
    ROW,
    SHEET,
    Reading,
    Row,
    cell_token,
    fold,
    location,
    parse_cell,
    read_organisation,
    read_table,
)
from domain.workbook.table import NotAWorkbook, SheetIn

# What validation says of a row whose unreadable cell was left out: already said at that cell.
CASCADES = {"missing", "start_or_due", "event_needs_time", "empty_list", "ratio_needs_parts"}


def read_workbook(data: bytes, fmt: Literal["xlsx", "ods"]) -> PlanFile:
    """Read and validate a plan workbook; raise PlanInvalid with every error at its cell."""
    try:
        if fmt == "xlsx":
            from domain.workbook.xlsx import read_xlsx

            sheets = read_xlsx(data)
        else:
            from domain.workbook.ods import read_ods

            sheets = read_ods(data)
    except NotAWorkbook as problem:
        detail = str(problem).strip() or "illisible"
        raise PlanInvalid(
            [
                PlanError(
                    0,
                    "",
                    "not_workbook",
                    (("format", fmt.upper()), ("detail", detail[:120])),
                    CellLocation(sheet=""),
                )
            ]
        ) from None
    reading = Reading()
    document = _document(sheets, reading)
    source = Source(document, reading.lines)
    plan, errors, locale = validate_source(source)
    located = [
        PlanError(
            0,
            error.path,
            error.code,
            tuple(_row_number(key, value) for key, value in error.params),
            location(error.line, reading.headers),
        )
        for error in errors
        if error.line not in reading.flagged
        and not (error.code in CASCADES and error.line // ROW in reading.flagged_rows)
    ]
    if reading.errors or located or plan is None:
        raise PlanInvalid(reading.errors + located, locale)
    return plan


def _row_number(key: str, value: Any) -> tuple[str, Any]:
    if key == "first_line" and isinstance(value, int) and value >= SHEET:
        return key, (value % SHEET) // ROW + 1
    return key, value


def _document(sheets: list[SheetIn], reading: Reading) -> dict[str, Any]:
    by_name = {fold(sheet.name): sheet for sheet in sheets}
    document: dict[str, Any] = {"version": 1}
    found: dict[str, SheetIn] = {}
    for name in DATA_SHEETS:
        sheet = by_name.get(fold(name))
        if sheet is None:
            reading.errors.append(
                PlanError(
                    0,
                    "",
                    "missing_sheet",
                    (("sheet", name),),
                    CellLocation(name, rank=(DATA_SHEETS.index(name) + 1, 0, 0)),
                )
            )
            continue
        found[name] = sheet
    if layout.ORGANISATION in found:
        document["organisation"] = read_organisation(found[layout.ORGANISATION], reading)
    tables = {
        name: read_table(found[name], COLUMNS[name], reading) for name in COLUMNS if name in found
    }
    document["people"] = _entries(tables.get(layout.PEOPLE, []), "people", reading)
    document["portfolios"] = _entries(tables.get(layout.PORTFOLIOS, []), "portfolios", reading)
    document["indicators"] = _entries(tables.get(layout.INDICATORS, []), "indicators", reading)
    for name, sheet in found.items():  # after the headers, which name the cells
        for merged in sheet.merged:
            row, column = parse_cell(merged.split(":")[0])
            reading.error(cell_token(name, row, column), "merged_cells", range=merged)
    plans, items = _plans(tables, reading)
    document["plans"] = plans
    document["reminders"] = _reminders(tables.get(layout.REMINDERS, []), items, reading)
    return document


def _entries(rows: list[Row], section: str, reading: Reading) -> list[dict[str, Any]]:
    entries = []
    for index, row in enumerate(rows):
        _place(reading, (section, index), row)
        entries.append(row.values)
    return entries


def _place(reading: Reading, path: Path, row: Row, skip: tuple[str, ...] = ()) -> None:
    reading.lines[path] = row.first
    for key, token in row.tokens.items():
        if key in skip:
            continue
        reading.lines[(*path, key)] = token
        value = row.values.get(key)
        if isinstance(value, list):
            for position in range(len(value)):
                reading.lines[(*path, key, position)] = token


PlanKey = tuple[Any, Any]


def _plans(
    tables: dict[str, list[Row]], reading: Reading
) -> tuple[list[dict[str, Any]], dict[tuple[Any, Any, Any], tuple[Path, dict[str, Any]]]]:
    plans: list[dict[str, Any]] = []
    index_of: dict[PlanKey, int] = {}

    def plan_for(row: Row) -> int:
        key = (row.values.get("portfolio"), row.values.get("year"))
        if key not in index_of:
            index_of[key] = len(plans)
            header: dict[str, Any] = {
                k: row.values[k] for k in ("portfolio", "year") if k in row.values
            }
            plans.append({**header, "objectives": [], "items": []})
            path: Path = ("plans", index_of[key])
            reading.lines[path] = row.first
            for k in ("portfolio", "year"):
                reading.lines[(*path, k)] = row.tokens[k]
        return index_of[key]

    for row in tables.get(layout.PLANS, []):
        key = (row.values.get("portfolio"), row.values.get("year"))
        if key in index_of:  # a second row for one plan: validation says where the first is
            index_of[(object(), None)] = len(plans)
            plans.append({**row.values, "objectives": [], "items": []})
            _place(reading, ("plans", len(plans) - 1), row)
            continue
        position = plan_for(row)
        plans[position].update(row.values)
        _place(reading, ("plans", position), row)
    for row in tables.get(layout.OBJECTIVES, []):
        position = plan_for(row)
        objectives = plans[position]["objectives"]
        values = {k: v for k, v in row.values.items() if k not in ("portfolio", "year")}
        _place(
            reading, ("plans", position, "objectives", len(objectives)), row, ("portfolio", "year")
        )
        objectives.append(values)
    items: dict[tuple[Any, Any, Any], tuple[Path, dict[str, Any]]] = {}
    for row in tables.get(layout.ITEMS, []):
        position = plan_for(row)
        plan_items = plans[position]["items"]
        path: Path = ("plans", position, "items", len(plan_items))
        values = {k: v for k, v in row.values.items() if k not in ("portfolio", "year", *RULE_KEYS)}
        _place(reading, path, row, ("portfolio", "year", *RULE_KEYS))
        _recurrence(row, values, path, reading)
        plan_items.append(values)
        item_key = (row.values.get("portfolio"), row.values.get("year"), row.values.get("id"))
        items.setdefault(item_key, (path, values))
    return plans, items


def _recurrence(row: Row, values: dict[str, Any], path: Path, reading: Reading) -> None:
    said = {key: row.values.get(key) for key in RULE_KEYS}
    if all(value in (None, "") for value in said.values()):
        return
    every_token = row.tokens["every"]
    if values.get("rrule"):
        reading.error(every_token, "rule_both")
        return
    if not said["every"]:
        reading.error(every_token, "rule_without_every")
        return
    columns = RecurrenceColumns(
        every=str(said["every"]),
        interval=said["interval"] if isinstance(said["interval"], int) else None,
        day=str(said["day"] or ""),
        rank=str(said["rank"] or ""),
    )
    if said["interval"] is not None and not isinstance(said["interval"], int):
        reading.error(row.tokens["interval"], "rule_interval")
        return
    try:
        values["rrule"] = columns_rule(columns)
    except ValueError as problem:
        key, code = problem.args
        reading.error(row.tokens[key], code)
        return
    reading.lines[(*path, "rrule")] = every_token


def _reminders(
    rows: list[Row],
    items: dict[tuple[Any, Any, Any], tuple[Path, dict[str, Any]]],
    reading: Reading,
) -> dict[str, Any]:
    section: dict[str, Any] = {}
    settings = ("before", "on_due", "overdue", "escalate_after", "send_at")
    seen: dict[Any, int] = {}
    for row in rows:
        scope = row.values.get("scope")
        override = {key: row.values[key] for key in settings if key in row.values}
        if scope == "organisation":
            key: Any = "organisation"
            path: Path = ("reminders",)
        elif scope == "kind":
            kind = row.values.get("kind")
            if kind is None:
                if "kind" not in row.values:
                    reading.error(
                        row.tokens["kind"],
                        "bad_choice",
                        value="",
                        expected=", ".join(words("kind")),
                    )
                continue
            key, path = ("kind", kind), ("reminders", "kinds", kind)
        elif scope == "item":
            found = (row.values.get("portfolio"), row.values.get("year"), row.values.get("item"))
            if found not in items:
                reading.error(
                    row.tokens["item"],
                    "unknown_item_row",
                    value=found[2] or "",
                    portfolio=found[0] or "",
                    year=found[1] or "",
                )
                continue
            key = found
            path = (*items[found][0], "reminders")
        else:
            continue
        if key in seen:
            reading.error(row.first, "duplicate_reminder_row", first_line=seen[key])
            continue
        seen[key] = (row.first % SHEET) // ROW + 1
        _place(reading, path, row, ("scope", "kind", "portfolio", "year", "item"))
        if scope == "organisation":
            section.update(override)
        elif scope == "kind":
            section.setdefault("kinds", {})[key[1]] = override
        else:
            items[key][1]["reminders"] = override
    return section
