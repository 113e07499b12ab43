"""Located plan errors, rendered in the officer's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.messages import render_message


@dataclass(frozen=True, order=True)
class PlanError:
    """One problem in a plan file, at a line and a field path."""

    line: int
    path: str
    code: str
    params: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    def message(self, locale: str = "fr") -> str:
        return render_message(self.code, locale, dict(self.params))

    def format(self, file: str, locale: str = "fr") -> str:
        return f"{file}:{self.line}: {self.path or '(document)'}: {self.message(locale)}"


class PlanInvalid(Exception):
    """Raised when a plan file has at least one error; carries them all."""

    def __init__(self, errors: list[PlanError], locale: str = "fr") -> None:
        self.errors = sorted(errors)
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
