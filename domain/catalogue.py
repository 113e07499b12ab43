"""The default SPASER indicator catalogue, shipped as a commented YAML an officer adapts."""

from __future__ import annotations

from pathlib import Path

import yaml

from domain.model import Indicator

CATALOGUE = Path(__file__).with_name("catalogue.yaml")


def catalogue_text() -> str:
    """The catalogue as an officer reads it, comments and sources included."""
    return CATALOGUE.read_text(encoding="utf-8")


def catalogue_indicators() -> list[Indicator]:
    data = yaml.safe_load(catalogue_text())
    return [Indicator.model_validate(entry) for entry in data["indicators"]]


def with_catalogue(plan_text: str) -> str:
    """A plan file whose `indicators` section is the catalogue (its own entries are replaced)."""
    data = yaml.safe_load(plan_text)
    data["indicators"] = yaml.safe_load(catalogue_text())["indicators"]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
