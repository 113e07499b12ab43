"""The legal facts Boucle applies to contract data: European thresholds and the date from
which art. 35 of the Climat et résilience law applies, read from law.yaml with their sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LAW_FILE = Path(__file__).with_name("law.yaml")


@dataclass(frozen=True)
class Thresholds:
    """European procurement thresholds, € HT, for a period."""

    valid_from: date
    valid_until: date
    central: Decimal
    local: Decimal
    utility: Decimal
    works: Decimal
    source: str

    def of(self, buyer_category: str) -> Decimal:
        """The supplies-and-services threshold of a buyer category (local, central, utility)."""
        return {"central": self.central, "local": self.local, "utility": self.utility}[
            buyer_category
        ]


@dataclass(frozen=True)
class Law:
    thresholds: Thresholds
    art35_from: date
    art35_source: str


@cache
def _document() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(LAW_FILE.read_text(encoding="utf-8"))
    return data


def law_for(year: int) -> Law:
    """The thresholds in force on 1 January of `year` (the latest known if none is)."""
    document = _document()
    periods = sorted(document["european_thresholds"], key=lambda entry: entry["valid_from"])
    on = date(year, 1, 1)
    chosen = next(
        (p for p in periods if p["valid_from"] <= on <= p["valid_until"]),
        periods[-1] if on > periods[-1]["valid_until"] else periods[0],
    )
    thresholds = Thresholds(
        valid_from=chosen["valid_from"],
        valid_until=chosen["valid_until"],
        central=Decimal(chosen["central"]),
        local=Decimal(chosen["local"]),
        utility=Decimal(chosen["utility"]),
        works=Decimal(chosen["works"]),
        source=" ".join(chosen["source"].split()),
    )
    article = document["climat_resilience_art35"]
    return Law(thresholds, article["applies_from"], " ".join(article["source"].split()))
