"""A plan workbook's cells as plan data, validated as a plan file is, errors at their cells."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

from domain.durations import is_duration
from domain.errors import CellLocation, PlanError, PlanInvalid
from domain.model import PlanFile
from domain.source import Path, Source
from domain.validation import validate_source
from domain.workbook import layout
from domain.workbook.labels import NONE_WORDS, value_of, words
from domain.workbook.layout import COLUMNS, DATA_SHEETS, ORGANISATION_ROWS, RULE_KEYS, Column
from domain.workbook.phrases import RecurrenceColumns, columns_rule, duration_iso
from domain.workbook.table import Cell, NotAWorkbook, SheetIn, cell_name

_ROW = 1000  # a cell's token: sheet × _SHEET + row × _ROW + column, as Source's "line"
_SHEET = 10**10
# What validation says of a row whose unreadable cell was left out: already said at that cell.
CASCADES = {"missing", "start_or_due", "event_needs_time", "empty_list", "ratio_needs_parts"}
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2})[:h](\d{2}))?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?$")


def _fold(text: str) -> str:
    return " ".join(text.strip().lower().replace("’", "'").split())


def _token(sheet: str, row: int, column: int) -> int:
    return (DATA_SHEETS.index(sheet) + 1) * _SHEET + row * _ROW + column


def _location(token: int, headers: dict[tuple[str, int], str]) -> CellLocation:
    if token < _SHEET:
        return CellLocation(sheet="")
    sheet = DATA_SHEETS[token // _SHEET - 1]
    row, column = divmod(token % _SHEET, _ROW)
    header = headers.get((sheet, -1 - row)) or headers.get((sheet, column), "")
    return CellLocation(sheet, cell_name(row, column), header, (token // _SHEET, row, column))


@dataclass
class _Reading:
    """What the reading has built: plan data, the cell of every path, errors of its own."""

    lines: dict[Path, int] = field(default_factory=lambda: {(): 0})
    errors: list[PlanError] = field(default_factory=list)
    flagged: set[int] = field(default_factory=set)
    flagged_rows: set[int] = field(default_factory=set)
    headers: dict[tuple[str, int], str] = field(default_factory=dict)

    def error(self, token: int, code: str, **params: Any) -> None:
        self.flagged.add(token)
        self.flagged_rows.add(token // _ROW)
        self.errors.append(
            PlanError(0, "", code, tuple(params.items()), _location(token, self.headers))
        )


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
    reading = _Reading()
    document = _document(sheets, reading)
    source = Source(document, reading.lines)
    plan, errors, locale = validate_source(source)
    located = [
        PlanError(
            0,
            error.path,
            error.code,
            tuple(_row_number(key, value) for key, value in error.params),
            _location(error.line, reading.headers),
        )
        for error in errors
        if error.line not in reading.flagged
        and not (error.code in CASCADES and error.line // _ROW in reading.flagged_rows)
    ]
    if reading.errors or located or plan is None:
        raise PlanInvalid(reading.errors + located, locale)
    return plan


def _row_number(key: str, value: Any) -> tuple[str, Any]:
    if key == "first_line" and isinstance(value, int) and value >= _SHEET:
        return key, (value % _SHEET) // _ROW + 1
    return key, value


def _document(sheets: list[SheetIn], reading: _Reading) -> dict[str, Any]:
    by_name = {_fold(sheet.name): sheet for sheet in sheets}
    document: dict[str, Any] = {"version": 1}
    found: dict[str, SheetIn] = {}
    for name in DATA_SHEETS:
        sheet = by_name.get(_fold(name))
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
        document["organisation"] = _organisation(found[layout.ORGANISATION], reading)
    tables = {
        name: _table(found[name], COLUMNS[name], reading) for name in COLUMNS if name in found
    }
    document["people"] = _entries(tables.get(layout.PEOPLE, []), "people", reading)
    document["portfolios"] = _entries(tables.get(layout.PORTFOLIOS, []), "portfolios", reading)
    document["indicators"] = _entries(tables.get(layout.INDICATORS, []), "indicators", reading)
    for name, sheet in found.items():  # after the headers, which name the cells
        for merged in sheet.merged:
            row, column = _parse_cell(merged.split(":")[0])
            reading.error(_token(name, row, column), "merged_cells", range=merged)
    plans, items = _plans(tables, reading)
    document["plans"] = plans
    document["reminders"] = _reminders(tables.get(layout.REMINDERS, []), items, reading)
    return document


def _parse_cell(name: str) -> tuple[int, int]:
    letters = "".join(char for char in name if char.isalpha())
    column = 0
    for char in letters.upper():
        column = column * 26 + ord(char) - 64
    return int(name[len(letters) :] or 1) - 1, column - 1


@dataclass
class _Row:
    """One filled row of a table sheet: each column's converted value and its cell's token."""

    values: dict[str, Any]
    tokens: dict[str, int]
    first: int


def _table(sheet: SheetIn, columns: tuple[Column, ...], reading: _Reading) -> list[_Row]:
    name = layout.ORGANISATION if sheet is None else sheet.name
    name = next(title for title in COLUMNS if _fold(title) == _fold(sheet.name))
    if not sheet.rows or not any(value not in (None, "") for value in sheet.rows[0]):
        reading.error(
            _token(name, 0, 0), "empty_sheet", headers=", ".join(c.header for c in columns)
        )
        return []
    by_header = {_fold(column.header): column for column in columns}
    by_header.update({_fold(column.key): column for column in columns})
    placed: dict[int, Column] = {}
    for index, header in enumerate(sheet.rows[0]):
        if header in (None, ""):
            continue
        column = by_header.get(_fold(str(header)))
        if column is None:
            if _fold(str(header)) != _fold(layout.PLAIN_WORDS):
                reading.headers[(name, index)] = str(header)
                reading.error(
                    _token(name, 0, index),
                    "unknown_column",
                    header=str(header),
                    expected=", ".join(c.header for c in columns),
                )
            continue
        placed[index] = column
        reading.headers[(name, index)] = column.header
    missing_at = len(sheet.rows[0])
    for column in columns:
        if column.required and column not in placed.values():
            reading.headers[(name, missing_at)] = column.header
            reading.error(_token(name, 0, missing_at), "missing_column", header=column.header)
    rows = []
    for row_index, cells in enumerate(sheet.rows[1:], start=1):
        if not any(
            index in placed and value not in (None, "") and not str(value).isspace()
            for index, value in enumerate(cells)
        ):
            continue
        row = _Row({}, {}, _token(name, row_index, 0))
        for index, column in placed.items():
            token = _token(name, row_index, index)
            row.tokens[column.key] = token
            value = cells[index] if index < len(cells) else None
            if isinstance(value, str) and not value.strip():
                value = None
            if value is not None:
                converted = _convert(column, value, token, reading)
                if converted is not None:
                    row.values[column.key] = converted
        for column in columns:  # a missing column's fields are found at the row's first cell
            row.tokens.setdefault(column.key, row.first)
        rows.append(row)
    return rows


def _organisation(sheet: SheetIn, reading: _Reading) -> dict[str, Any]:
    name = layout.ORGANISATION
    by_header = {_fold(column.header): column for column in ORGANISATION_ROWS}
    by_header.update({_fold(column.key): column for column in ORGANISATION_ROWS})
    values: dict[str, Any] = {}
    reading.lines[("organisation",)] = _token(name, 0, 0)
    reading.headers[(name, 0)] = "Paramètre"
    reading.headers[(name, 1)] = "Valeur"
    for row_index, cells in enumerate(sheet.rows):
        label_cell = cells[0] if cells else None
        if label_cell in (None, "") or row_index == 0 and _fold(str(label_cell)) == "paramètre":
            continue
        column = by_header.get(_fold(str(label_cell)))
        if column is None:
            reading.error(
                _token(name, row_index, 0),
                "unknown_parameter",
                header=str(label_cell),
                expected=", ".join(c.header for c in ORGANISATION_ROWS),
            )
            continue
        token = _token(name, row_index, 1)
        reading.headers[(name, -1 - row_index)] = column.header  # a setting's row names it
        reading.lines[("organisation", column.key)] = token
        value = cells[1] if len(cells) > 1 else None
        if value is None or isinstance(value, str) and not value.strip():
            continue
        if column.key == "holidays" and _fold(str(value)) in NONE_WORDS:
            values["holidays"] = None
            continue
        values[column.key] = _convert(column, value, token, reading)
        if column.key == "working_days":
            for position in range(len(values[column.key] or [])):
                reading.lines[("organisation", column.key, position)] = token
    if "name" not in values:
        row = next(
            (i for i, c in enumerate(sheet.rows) if c and _fold(str(c[0] or "")) == "nom"), None
        )
        if row is not None:
            reading.lines[("organisation", "name")] = _token(name, row, 1)
            reading.headers[(name, -1 - row)] = "Nom"
    return values


def _text(value: Cell) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _convert(column: Column, value: Cell, token: int, reading: _Reading) -> Any:
    kind = column.kind
    if kind in ("text", "freetext"):
        return _text(value)
    if kind == "id" or kind == "rule" and column.key != "interval":
        return _text(value).strip()
    if kind == "ids":
        return [part.strip() for part in re.split(r"[,;\n]", _text(value)) if part.strip()]
    if kind == "weekdays":
        days = []
        for part in re.split(r"[,;\n]", _text(value)):
            if not part.strip():
                continue
            day = value_of("weekday", part)
            if day is None:
                reading.error(
                    token, "bad_choice", value=part.strip(), expected=", ".join(words("weekday"))
                )
                return None
            days.append(day)
        return days
    if kind == "choice" or kind == "bool":
        choice = column.choice or "bool"
        found = value_of(choice, _text(value))
        if found is None:
            reading.error(
                token, "bad_choice", value=_text(value), expected=", ".join(words(choice))
            )
            return None
        return found == "true" if kind == "bool" else found
    if kind == "date":
        return _date(value, token, reading)
    if kind in ("int", "number") or column.key == "interval":
        return _number(value, token, reading, whole=kind == "int" or column.key == "interval")
    if kind == "clock":
        if isinstance(value, datetime):
            value = value.time()
        return value.strftime("%H:%M") if isinstance(value, time) else _text(value).strip()
    if kind == "duration":
        return _duration(value, token, reading, allow_off=column.key == "escalate_after")
    if kind == "durations":
        text = _text(value).strip()
        if _fold(text) in NONE_WORDS:
            return []
        return [
            _duration(part, token, reading, allow_off=False)
            for part in re.split(r"[,;]", text)
            if part.strip()
        ]
    return value


def _date(value: Cell, token: int, reading: _Reading) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = _text(value).strip()
    french = _FRENCH_DATE.match(text)
    if french:
        day, month, year, hours, minutes = french.groups()
        stamp = f"{year}-{int(month):02d}-{int(day):02d}"
        return stamp + (f"T{int(hours):02d}:{minutes}" if hours else "")
    if isinstance(value, str) and _ISO_DATE.match(text):
        return text.replace(" ", "T")
    reading.error(token, "bad_date_cell", value=text)
    return None


def _number(value: Cell, token: int, reading: _Reading, *, whole: bool) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if whole and isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    text = _text(value).strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        reading.error(token, "bad_number", value=_text(value))
        return None
    return int(number) if whole and number.is_integer() else number


def _duration(value: Cell, token: int, reading: _Reading, *, allow_off: bool) -> Any:
    if isinstance(value, time):
        text = f"PT{value.hour}H{value.minute}M" if value.minute else f"PT{value.hour}H"
        return text if value.hour else f"PT{value.minute}M"
    text = _text(value).strip()
    if allow_off and _fold(text) in NONE_WORDS:
        return "off"
    iso = duration_iso(text)
    if not is_duration(iso):
        reading.error(token, "bad_duration_words", value=text)
        return None
    return iso


def _entries(rows: list[_Row], section: str, reading: _Reading) -> list[dict[str, Any]]:
    entries = []
    for index, row in enumerate(rows):
        _place(reading, (section, index), row)
        entries.append(row.values)
    return entries


def _place(reading: _Reading, path: Path, row: _Row, skip: tuple[str, ...] = ()) -> None:
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
    tables: dict[str, list[_Row]], reading: _Reading
) -> tuple[list[dict[str, Any]], dict[tuple[Any, Any, Any], tuple[Path, dict[str, Any]]]]:
    plans: list[dict[str, Any]] = []
    index_of: dict[PlanKey, int] = {}

    def plan_for(row: _Row) -> int:
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


def _recurrence(row: _Row, values: dict[str, Any], path: Path, reading: _Reading) -> None:
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
    rows: list[_Row],
    items: dict[tuple[Any, Any, Any], tuple[Path, dict[str, Any]]],
    reading: _Reading,
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
        seen[key] = (row.first % _SHEET) // _ROW + 1
        _place(reading, path, row, ("scope", "kind", "portfolio", "year", "item"))
        if scope == "organisation":
            section.update(override)
        elif scope == "kind":
            section.setdefault("kinds", {})[key[1]] = override
        else:
            items[key][1]["reminders"] = override
    return section
