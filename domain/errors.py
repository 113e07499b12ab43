"""Located plan errors, rendered in the officer's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.messages import render_message
from domain.workbook.messages import WORKBOOK_MESSAGES


@dataclass(frozen=True)
class CellLocation:
    """Where a workbook error lies: a sheet, a cell (A1 notation) and the column's header."""

    sheet: str
    cell: str = ""
    column: str = ""
    rank: tuple[int, int, int] = (0, 0, 0)  # sheet order, row, column: errors read in order

    def format(self, file: str) -> str:
        if not self.sheet:  # the file as a whole: not a workbook, or not one Boucle reads
            return f"{file}: (fichier)"
        place = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{file}:{place}: {self.column or '(feuille)'}"


@dataclass(frozen=True, order=True)
class PlanError:
    """One problem in a plan file, at a line and a field path (or a workbook's cell)."""

    line: int
    path: str
    code: str
    params: tuple[tuple[str, Any], ...] = field(default=(), compare=False)
    location: CellLocation | None = field(default=None, compare=False)

    def message(self, locale: str = "fr") -> str:
        params = dict(self.params)
        if self.code in WORKBOOK_MESSAGES:
            texts = WORKBOOK_MESSAGES[self.code]
            return (texts.get(locale) or texts["fr"]).format(**params)
        return render_message(self.code, locale, params)

    def format(self, file: str, locale: str = "fr") -> str:
        if self.location is not None:
            return f"{self.location.format(file)}: {self.message(locale)}"
        return f"{file}:{self.line}: {self.path or '(document)'}: {self.message(locale)}"

    def sort_key(self) -> tuple[Any, ...]:
        rank = self.location.rank if self.location is not None else (0, 0, 0)
        return (rank, self.line, self.path, self.code)


class PlanInvalid(Exception):
    """Raised when a plan file has at least one error; carries them all."""

    def __init__(self, errors: list[PlanError], locale: str = "fr") -> None:
        self.errors = sorted(errors, key=PlanError.sort_key)
        self.locale = locale
        super().__init__(f"{len(self.errors)} error(s) in plan")

    def lines(self, file: str) -> list[str]:
        return [error.format(file, self.locale) for error in self.errors]


def format_path(parts: tuple[str | int, ...]) -> str:
    """Render ('plans', 0, 'items', 2, 'rrule') as plans[0].items[2].rrule."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
