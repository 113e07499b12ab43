"""Tables to and from XLSX (Office Open XML) with openpyxl."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from domain.workbook.table import (
    LIST_ROWS_AHEAD,
    Cell,
    NotAWorkbook,
    SheetIn,
    SheetOut,
    column_letter,
)

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TIME_FORMAT = "hh:mm"


def write_xlsx(sheets: list[SheetOut], lists_sheet: str) -> bytes:
    """An XLSX file of `sheets`; drop-down lists take their values from `lists_sheet`."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for sheet in sheets:
        page = book.create_sheet(sheet.name)
        for row in sheet.rows:
            page.append(row)
        if sheet.header_row and sheet.rows:
            for cell in page[1]:
                cell.font = bold
            page.freeze_panes = "A2"
        for column in page.iter_cols(min_row=2):
            for cell in column:
                if isinstance(cell.value, datetime):
                    cell.number_format = DATETIME_FORMAT
                elif cell.is_date and cell.number_format.startswith("h"):
                    cell.number_format = TIME_FORMAT
                if cell.data_type == "f":  # text that starts with "=" stays text, not a formula
                    cell.data_type = "s"
                if isinstance(cell.value, str) and "\n" in cell.value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        for (row_index, column_index), note in sheet.notes.items():
            comment = Comment(note, "Boucle")
            comment.width, comment.height = 320, 110
            page.cell(row_index + 1, column_index + 1).comment = comment
        last_row = len(sheet.rows) + LIST_ROWS_AHEAD
        for choice in sheet.choices:
            letter = column_letter(choice.source_column)
            rule = DataValidation(
                type="list",
                formula1=f"{lists_sheet}!${letter}$2:${letter}${choice.count + 1}",
                allow_blank=True,
                showErrorMessage=choice.strict,
            )
            target = column_letter(choice.column)
            rule.add(f"{target}2:{target}{last_row}")
            page.add_data_validation(rule)
        for index, width in enumerate(sheet.widths):
            page.column_dimensions[column_letter(index)].width = width
        if sheet.hidden:
            page.sheet_state = "hidden"
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def read_xlsx(data: bytes) -> list[SheetIn]:
    """Every sheet's values; a date cell without a time in its format reads as a date."""
    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as error:
        raise NotAWorkbook(str(error)) from None
    sheets = []
    for page in book.worksheets:
        rows: list[list[Cell]] = []
        for cells in page.iter_rows():
            values: list[Cell] = []
            for cell in cells:
                value = cell.value
                if (
                    isinstance(value, datetime)
                    and value.time() == datetime.min.time()
                    and "h" not in (cell.number_format or "").lower()
                ):
                    value = value.date()
                values.append(value)
            rows.append(values)
        merged = [str(merged_range) for merged_range in page.merged_cells.ranges]
        sheets.append(SheetIn(page.title, rows, merged))
    return sheets
