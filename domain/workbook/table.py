"""Workbooks as plain tables, between the plan's rows and a file format's cells."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

Cell = str | int | float | date | datetime | time | None


@dataclass(frozen=True)
class Choices:
    """A drop-down list on one column: its values live in a column of the lists sheet."""

    column: int  # 0-based column of the sheet that offers the list
    source_column: int  # 0-based column of the lists sheet
    count: int  # how many values the list holds
    strict: bool  # refuse other text (a single choice) or only suggest (a list of ids)


@dataclass
class SheetOut:
    """A sheet to write: rows (the first one is the header), notes on cells, drop-down lists."""

    name: str
    rows: list[list[Cell]]
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    choices: list[Choices] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)
    hidden: bool = False
    header_row: bool = True


@dataclass
class SheetIn:
    """A sheet as read: its rows of values, and the ranges of merged cells (A1:B2)."""

    name: str
    rows: list[list[Cell]]
    merged: list[str] = field(default_factory=list)


class NotAWorkbook(Exception):
    """The bytes are not a workbook of the format the name says."""


def column_letter(index: int) -> str:
    """0 as A, 25 as Z, 26 as AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """The A1 name of a 0-based (row, column)."""
    return f"{column_letter(column)}{row + 1}"


LIST_ROWS_AHEAD = 500  # drop-down lists cover the rows people will add below the last one
