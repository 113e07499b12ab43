"""Indicator values in bulk from a CSV file, every error located by line and column.

Columns (header required, in any order): indicator, portfolio, period, value, and optionally
comment and source. Commas or semicolons separate fields (a French spreadsheet writes `;` and
`22,5`); a period is a year (`2027`), a quarter (`2027-T2` or `2027-Q2`), a month
(`2027-06`) or a task id. A file with an error stores nothing.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass

REQUIRED = ("indicator", "portfolio", "period", "value")
OPTIONAL = ("comment", "source")
PERIOD = re.compile(
    r"^\d{4}(-(Q|T)[1-4]|-(0[1-9]|1[0-2]))?$|^[a-z0-9_-]+/\d{4}/[a-z0-9_-]+/\d{4}-\d{2}-\d{2}$"
)
PERIOD_FORMS = "AAAA, AAAA-T1 à T4, AAAA-MM ou un identifiant de tâche"
ORGANISATION = "organisation"  # the portfolio column of an organisation-wide indicator


class NotFinite(ValueError):
    """Raised for infinities and NaN, which float() reads but no indicator can hold."""


def french_number(text: str) -> float:
    """A number as a French spreadsheet or person writes it: `12 000,5` (or `12000.5`)."""
    value = float(
        text.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    )
    if not math.isfinite(value):  # "inf", "nan", "1e999"
        raise NotFinite(f"{text.strip()!r} is not a finite number")
    return value


@dataclass(frozen=True)
class ValueRow:
    line: int
    indicator: str
    portfolio: str
    period: str
    value: float
    comment: str | None
    source: str | None


@dataclass(frozen=True)
class CsvError:
    line: int
    column: str
    message: str

    def format(self, file: str) -> str:
        return f"{file}:{self.line}: {self.column}: {self.message}"


def parse_values(
    text: str, indicators: dict[str, str], portfolios: set[str]
) -> tuple[list[ValueRow], list[CsvError]]:
    """Every row, or every error (then no row is to be stored).

    `indicators` maps each indicator to its scope: an organisation-wide one takes the
    portfolio `organisation`, every other one a portfolio of the plan.
    """
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return [], [CsvError(1, "en-tête", "colonnes manquantes : " + ", ".join(missing))]
    reader.fieldnames = header
    rows: list[ValueRow] = []
    errors: list[CsvError] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, record in enumerate(reader, start=2):
        cells = {k: (v or "").strip() for k, v in record.items() if k is not None}
        if not any(cells.values()):
            continue
        line_errors = []
        indicator, portfolio, period = cells["indicator"], cells["portfolio"], cells["period"]
        if indicator not in indicators:
            line_errors.append(CsvError(number, "indicator", f"indicateur « {indicator} » inconnu"))
        scope = indicators.get(indicator)
        if scope == ORGANISATION and portfolio != ORGANISATION:
            line_errors.append(
                CsvError(number, "portfolio", f"indicateur d'organisation : « {ORGANISATION} »")
            )
        elif scope != ORGANISATION and portfolio not in portfolios:
            line_errors.append(
                CsvError(number, "portfolio", f"portefeuille « {portfolio} » inconnu")
            )
        if not PERIOD.match(period):
            line_errors.append(
                CsvError(
                    number,
                    "period",
                    f"période « {period} » : {PERIOD_FORMS}",
                )
            )
        try:
            value = french_number(cells["value"])
        except NotFinite:
            line_errors.append(
                CsvError(number, "value", f"« {cells['value']} » : un nombre fini est attendu")
            )
            value = 0.0
        except ValueError:
            line_errors.append(
                CsvError(number, "value", f"« {cells['value']} » n'est pas un nombre")
            )
            value = 0.0
        key = (indicator, portfolio, period)
        if key in seen:
            line_errors.append(
                CsvError(
                    number,
                    "period",
                    f"même indicateur, portefeuille et période qu'à la ligne {seen[key]}",
                )
            )
        seen.setdefault(key, number)
        if line_errors:
            errors.extend(line_errors)
            continue
        rows.append(
            ValueRow(
                line=number,
                indicator=indicator,
                portfolio=portfolio,
                period=period.replace("-T", "-Q"),
                value=value,
                comment=cells.get("comment") or None,
                source=cells.get("source") or None,
            )
        )
    return (rows if not errors else []), errors
