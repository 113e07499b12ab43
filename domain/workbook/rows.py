"""A workbook's sheets as rows of plan values, each cell known by a token that stands for
its sheet, row and column where Source expects a line number."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.errors import CellLocation, PlanError
from domain.source import Path
from domain.workbook import layout
from domain.workbook.cells import convert
from domain.workbook.labels import NONE_WORDS
from domain.workbook.layout import COLUMNS, DATA_SHEETS, ORGANISATION_ROWS, Column
from domain.workbook.table import SheetIn, cell_name

ROW = 1000  # a cell's token: sheet × SHEET + row × ROW + column, as Source's "line"
SHEET = 10**10


def fold(text: str) -> str:
    return " ".join(text.strip().lower().replace("’", "'").split())


def cell_token(sheet: str, row: int, column: int) -> int:
    return (DATA_SHEETS.index(sheet) + 1) * SHEET + row * ROW + column


def location(token: int, headers: dict[tuple[str, int], str]) -> CellLocation:
    if token < SHEET:
        return CellLocation(sheet="")
    sheet = DATA_SHEETS[token // SHEET - 1]
    row, column = divmod(token % SHEET, ROW)
    header = headers.get((sheet, -1 - row)) or headers.get((sheet, column), "")
    return CellLocation(sheet, cell_name(row, column), header, (token // SHEET, row, column))


@dataclass
class Reading:
    """What the reading has built: plan data, the cell of every path, errors of its own."""

    lines: dict[Path, int] = field(default_factory=lambda: {(): 0})
    errors: list[PlanError] = field(default_factory=list)
    flagged: set[int] = field(default_factory=set)
    flagged_rows: set[int] = field(default_factory=set)
    headers: dict[tuple[str, int], str] = field(default_factory=dict)

    def error(self, token: int, code: str, **params: Any) -> None:
        self.flagged.add(token)
        self.flagged_rows.add(token // ROW)
        self.errors.append(
            PlanError(0, "", code, tuple(params.items()), location(token, self.headers))
        )


def parse_cell(name: str) -> tuple[int, int]:
    letters = "".join(char for char in name if char.isalpha())
    column = 0
    for char in letters.upper():
        column = column * 26 + ord(char) - 64
    return int(name[len(letters) :] or 1) - 1, column - 1


@dataclass
class Row:
    """One filled row of a table sheet: each column's converted value and its cell's token."""

    values: dict[str, Any]
    tokens: dict[str, int]
    first: int


def read_table(sheet: SheetIn, columns: tuple[Column, ...], reading: Reading) -> list[Row]:
    name = layout.ORGANISATION if sheet is None else sheet.name
    name = next(title for title in COLUMNS if fold(title) == fold(sheet.name))
    if not sheet.rows or not any(value not in (None, "") for value in sheet.rows[0]):
        reading.error(
            cell_token(name, 0, 0), "empty_sheet", headers=", ".join(c.header for c in columns)
        )
        return []
    by_header = {fold(column.header): column for column in columns}
    by_header.update({fold(column.key): column for column in columns})
    placed: dict[int, Column] = {}
    for index, header in enumerate(sheet.rows[0]):
        if header in (None, ""):
            continue
        column = by_header.get(fold(str(header)))
        if column is None:
            if fold(str(header)) != fold(layout.PLAIN_WORDS):
                reading.headers[(name, index)] = str(header)
                reading.error(
                    cell_token(name, 0, index),
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
            reading.error(cell_token(name, 0, missing_at), "missing_column", header=column.header)
    rows = []
    for row_index, cells in enumerate(sheet.rows[1:], start=1):
        if not any(
            index in placed and value not in (None, "") and not str(value).isspace()
            for index, value in enumerate(cells)
        ):
            continue
        row = Row({}, {}, cell_token(name, row_index, 0))
        for index, column in placed.items():
            token = cell_token(name, row_index, index)
            row.tokens[column.key] = token
            value = cells[index] if index < len(cells) else None
            if isinstance(value, str) and not value.strip():
                value = None
            if value is not None:
                converted = convert(column, value, token, reading)
                if converted is not None:
                    row.values[column.key] = converted
        for column in columns:  # a missing column's fields are found at the row's first cell
            row.tokens.setdefault(column.key, row.first)
        rows.append(row)
    return rows


def read_organisation(sheet: SheetIn, reading: Reading) -> dict[str, Any]:
    name = layout.ORGANISATION
    by_header = {fold(column.header): column for column in ORGANISATION_ROWS}
    by_header.update({fold(column.key): column for column in ORGANISATION_ROWS})
    values: dict[str, Any] = {}
    reading.lines[("organisation",)] = cell_token(name, 0, 0)
    reading.headers[(name, 0)] = "Paramètre"
    reading.headers[(name, 1)] = "Valeur"
    for row_index, cells in enumerate(sheet.rows):
        label_cell = cells[0] if cells else None
        if label_cell in (None, "") or row_index == 0 and fold(str(label_cell)) == "paramètre":
            continue
        column = by_header.get(fold(str(label_cell)))
        if column is None:
            reading.error(
                cell_token(name, row_index, 0),
                "unknown_parameter",
                header=str(label_cell),
                expected=", ".join(c.header for c in ORGANISATION_ROWS),
            )
            continue
        token = cell_token(name, row_index, 1)
        reading.headers[(name, -1 - row_index)] = column.header  # a setting's row names it
        reading.lines[("organisation", column.key)] = token
        value = cells[1] if len(cells) > 1 else None
        if value is None or isinstance(value, str) and not value.strip():
            continue
        if column.key == "holidays" and fold(str(value)) in NONE_WORDS:
            values["holidays"] = None
            continue
        values[column.key] = convert(column, value, token, reading)
        if column.key == "working_days":
            for position in range(len(values[column.key] or [])):
                reading.lines[("organisation", column.key, position)] = token
    if "name" not in values:
        row = next(
            (i for i, c in enumerate(sheet.rows) if c and fold(str(c[0] or "")) == "nom"), None
        )
        if row is not None:
            reading.lines[("organisation", "name")] = cell_token(name, row, 1)
            reading.headers[(name, -1 - row)] = "Nom"
    return values
