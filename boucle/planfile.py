"""Read plan files from disk, turning every failure into located plan errors."""

from __future__ import annotations

from pathlib import Path

from domain.errors import PlanError, PlanInvalid
from domain.model import PlanFile
from domain.validation import load_plan


def read_plan_file(path: Path) -> PlanFile:
    """Load and validate the plan at `path`; raise PlanInvalid with every error."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise PlanInvalid(
            [PlanError(0, "", "invalid", (("detail", error.strerror or str(error)),))]
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise PlanInvalid(
            [PlanError(line, "", "invalid", (("detail", "le fichier n'est pas en UTF-8"),))]
        ) from None
    return load_plan(text, is_json=path.suffix.lower() == ".json")
