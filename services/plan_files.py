"""Read a plan from a file's bytes whatever its format, and write a plan as a workbook."""

from __future__ import annotations

from pathlib import PurePath
from typing import Literal

from domain.errors import CellLocation, PlanError, PlanInvalid
from domain.model import PlanFile
from domain.validation import load_plan

WorkbookFormat = Literal["xlsx", "ods"]
TEXT_SUFFIXES = {".yaml": False, ".yml": False, ".json": True}
WORKBOOK_SUFFIXES: dict[str, WorkbookFormat] = {".xlsx": "xlsx", ".ods": "ods"}
PLAN_SUFFIXES = (*TEXT_SUFFIXES, *WORKBOOK_SUFFIXES)


def read_plan_bytes(filename: str, data: bytes) -> PlanFile:
    """Parse and validate a plan file by its name's suffix; raise PlanInvalid with every error."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        from domain.workbook.reader import read_workbook  # openpyxl and odfpy load on demand

        return read_workbook(data, WORKBOOK_SUFFIXES[suffix])
    if suffix not in TEXT_SUFFIXES:
        location = CellLocation(sheet="")
        raise PlanInvalid(
            [PlanError(0, "", "unknown_suffix", (("suffix", suffix or "∅"),), location)]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PlanInvalid([PlanError(line, "", "not_utf8")]) from None
    return load_plan(text, is_json=TEXT_SUFFIXES[suffix])


def write_plan_workbook(plan: PlanFile, fmt: WorkbookFormat) -> bytes:
    """The plan as an XLSX or ODS workbook people edit, which read_plan_bytes reads back."""
    from domain.workbook.writer import write_workbook

    return write_workbook(plan, fmt)


def write_template_workbook(fmt: WorkbookFormat) -> bytes:
    """A workbook with every sheet's headers, lists and one example row, ready to fill."""
    from domain.workbook.writer import write_template

    return write_template(fmt)
