"""Read plan files from disk, turning every failure into located plan errors."""

from __future__ import annotations

from pathlib import Path

from domain.errors import PlanError, PlanInvalid
from domain.model import PlanFile
from services.plan_files import read_plan_bytes


def read_plan_file(path: Path) -> PlanFile:
    """Load and validate the plan at `path` (YAML, JSON, XLSX, ODS); raise PlanInvalid."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise PlanInvalid(
            [PlanError(0, "", "invalid", (("detail", error.strerror or str(error)),))]
        ) from None
    return read_plan_bytes(path.name, raw)
