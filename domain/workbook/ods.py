"""Tables to ODS (OpenDocument) with odfpy, and back with a streaming XML reader.

odfpy builds a DOM of the whole document on load, seconds for a région's plan; reading
content.xml with iterparse takes a fraction of that and sees the same cells.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time
from xml.etree.ElementTree import Element, ParseError, iterparse

from odf import number, office, style, table, text
from odf.opendocument import OpenDocumentSpreadsheet
from odf.teletype import addTextToElement

from domain.workbook.table import (
    LIST_ROWS_AHEAD,
    Cell,
    NotAWorkbook,
    SheetIn,
    SheetOut,
    cell_name,
    column_letter,
)

TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
MAX_REPEAT = 100_000  # a repeated cell or row past this is a sheet's filler, not data
_DURATION = re.compile(r"^-?PT?(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$")


def _date_style(name: str, *, with_time: bool, with_date: bool = True) -> number.DateStyle:
    if not with_date:
        shape = number.TimeStyle(name=name)
    else:
        shape = number.DateStyle(name=name)
        shape.addElement(number.Year(style="long"))
        shape.addElement(number.Text(text="-"))
        shape.addElement(number.Month(style="long"))
        shape.addElement(number.Text(text="-"))
        shape.addElement(number.Day(style="long"))
        if with_time:
            shape.addElement(number.Text(text=" "))
    if with_time:
        shape.addElement(number.Hours(style="long"))
        shape.addElement(number.Text(text=":"))
        shape.addElement(number.Minutes(style="long"))
    return shape


def write_ods(sheets: list[SheetOut], lists_sheet: str) -> bytes:
    """An ODS file of `sheets`; drop-down lists take their values from `lists_sheet`."""
    document = OpenDocumentSpreadsheet()
    cell_styles = {}
    for key, data_style in (
        ("date", _date_style("Nd", with_time=False)),
        ("datetime", _date_style("Ndt", with_time=True)),
        ("time", _date_style("Nt", with_time=True, with_date=False)),
    ):
        document.automaticstyles.addElement(data_style)
        cell_style = style.Style(name=f"c{key}", family="table-cell", datastylename=data_style)
        document.automaticstyles.addElement(cell_style)
        cell_styles[key] = cell_style
    bold = style.Style(name="cheader", family="table-cell")
    bold.addElement(style.TextProperties(fontweight="bold"))
    document.automaticstyles.addElement(bold)
    hidden = style.Style(name="thidden", family="table")
    hidden.addElement(style.TableProperties(display="false"))
    document.automaticstyles.addElement(hidden)
    validations = table.ContentValidations()
    for sheet in sheets:
        sheet_table = table.Table(name=sheet.name)
        if sheet.hidden:
            sheet_table.setAttribute("stylename", hidden)
        for position, width in enumerate(sheet.widths):
            column_style = style.Style(name=f"w{sheet.name}{position}", family="table-column")
            column_style.addElement(style.TableColumnProperties(columnwidth=f"{width * 0.19}cm"))
            document.automaticstyles.addElement(column_style)
        width_count = len(sheet.widths)
        for position in range(width_count):
            sheet_table.addElement(table.TableColumn(stylename=f"w{sheet.name}{position}"))
        choice_by_column = {}
        for choice in sheet.choices:
            name = f"v{sheet.name}{choice.column}"
            letter = column_letter(choice.source_column)
            rule = table.ContentValidation(
                name=name,
                condition=f"of:cell-content-is-in-list([$'{lists_sheet}'.${letter}$2:"
                f".${letter}${choice.count + 1}])",
                allowemptycell="true",
                displaylist="unsorted",
            )
            rule.addElement(table.ErrorMessage(display="true" if choice.strict else "false"))
            validations.addElement(rule)
            choice_by_column[choice.column] = name
        last_row = len(sheet.rows) + LIST_ROWS_AHEAD if choice_by_column else len(sheet.rows)
        for row_index in range(last_row):
            values = sheet.rows[row_index] if row_index < len(sheet.rows) else []
            row = table.TableRow()
            span = max(len(values), max(choice_by_column, default=-1) + 1)
            for column_index in range(span):
                value = values[column_index] if column_index < len(values) else None
                cell = _cell(value, cell_styles)
                if row_index == 0 and sheet.header_row:
                    cell.setAttribute("stylename", bold)
                elif column_index in choice_by_column:
                    cell.setAttribute("contentvalidationname", choice_by_column[column_index])
                note = sheet.notes.get((row_index, column_index))
                if note:
                    annotation = office.Annotation()
                    for line in note.split("\n"):
                        annotation.addElement(text.P(text=line))
                    cell.addElement(annotation)
                row.addElement(cell)
            sheet_table.addElement(row)
        document.spreadsheet.addElement(sheet_table)
    document.spreadsheet.insertBefore(validations, document.spreadsheet.firstChild)
    output = io.BytesIO()
    document.write(output)
    return output.getvalue()


def _cell(value: Cell, styles: dict) -> table.TableCell:
    if value is None or value == "":
        return table.TableCell()
    if isinstance(value, bool):
        value = "oui" if value else "non"
    if isinstance(value, datetime):
        cell = table.TableCell(
            valuetype="date", datevalue=value.isoformat(), stylename=styles["datetime"]
        )
        cell.addElement(text.P(text=value.strftime("%Y-%m-%d %H:%M")))
    elif isinstance(value, date):
        cell = table.TableCell(
            valuetype="date", datevalue=value.isoformat(), stylename=styles["date"]
        )
        cell.addElement(text.P(text=value.isoformat()))
    elif isinstance(value, time):
        cell = table.TableCell(
            valuetype="time",
            timevalue=f"PT{value.hour:02d}H{value.minute:02d}M{value.second:02d}S",
            stylename=styles["time"],
        )
        cell.addElement(text.P(text=value.strftime("%H:%M")))
    elif isinstance(value, int | float):
        cell = table.TableCell(valuetype="float", value=repr(value))
        cell.addElement(text.P(text=str(value)))
    else:
        cell = table.TableCell(valuetype="string")
        for position, line in enumerate(str(value).split("\n")):
            paragraph = text.P()
            addTextToElement(paragraph, line)
            cell.addElement(paragraph)
            del position
    return cell


def read_ods(data: bytes) -> list[SheetIn]:
    """Every sheet's values, read from content.xml as it streams."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        content = archive.open("content.xml")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise NotAWorkbook(str(error)) from None
    sheets: list[SheetIn] = []
    try:
        for _event, element in iterparse(content, events=("end",)):
            if element.tag == f"{{{TABLE}}}table":
                sheets.append(_read_table(element))
                element.clear()
    except (ParseError, ValueError, zipfile.BadZipFile, OSError) as error:
        raise NotAWorkbook(str(error)) from None
    return sheets


def _read_table(element: Element) -> SheetIn:
    name = element.get(f"{{{TABLE}}}name", "")
    rows: list[list[Cell]] = []
    merged: list[str] = []
    empty_rows = 0  # repeated blank rows count only when a filled row follows them
    for row in _rows(element):
        repeat = int(row.get(f"{{{TABLE}}}number-rows-repeated", "1"))
        values: list[Cell] = []
        blanks = 0
        for cell in row:
            if cell.tag not in (f"{{{TABLE}}}table-cell", f"{{{TABLE}}}covered-table-cell"):
                continue
            times = int(cell.get(f"{{{TABLE}}}number-columns-repeated", "1"))
            value = _value(cell) if cell.tag.endswith("}table-cell") else None
            spans = (
                int(cell.get(f"{{{TABLE}}}number-columns-spanned", "1")),
                int(cell.get(f"{{{TABLE}}}number-rows-spanned", "1")),
            )
            if spans != (1, 1):
                first = cell_name(len(rows) + empty_rows, len(values) + blanks)
                last = cell_name(
                    len(rows) + empty_rows + spans[1] - 1, len(values) + blanks + spans[0] - 1
                )
                merged.append(f"{first}:{last}")
            if value is None:
                blanks += times
                continue
            values.extend([None] * blanks)
            blanks = 0
            values.extend([value] * min(times, MAX_REPEAT))
        if not values:
            empty_rows += repeat
            continue
        rows.extend([] for _ in range(min(empty_rows, MAX_REPEAT)))
        empty_rows = 0
        rows.extend(list(values) for _ in range(min(repeat, MAX_REPEAT)))
    return SheetIn(name, rows, merged)


def _rows(element: Element) -> list[Element]:
    found = []
    for child in element:
        if child.tag == f"{{{TABLE}}}table-row":
            found.append(child)
        elif child.tag in (
            f"{{{TABLE}}}table-rows",
            f"{{{TABLE}}}table-header-rows",
            f"{{{TABLE}}}table-row-group",
        ):
            found.extend(_rows(child))
    return found


def _value(cell: Element) -> Cell:
    kind = cell.get(f"{{{OFFICE}}}value-type")
    if kind is None:
        return None
    if kind in ("float", "percentage", "currency"):
        number_value = float(cell.get(f"{{{OFFICE}}}value", "0"))
        return int(number_value) if number_value.is_integer() else number_value
    if kind == "date":
        stamp = cell.get(f"{{{OFFICE}}}date-value", "")
        return datetime.fromisoformat(stamp) if "T" in stamp else date.fromisoformat(stamp)
    if kind == "time":
        match = _DURATION.match(cell.get(f"{{{OFFICE}}}time-value", ""))
        if match:
            hours, minutes, seconds = (float(part or 0) for part in match.groups())
            return time(int(hours) % 24, int(minutes), int(seconds))
    if kind == "boolean":
        return "oui" if cell.get(f"{{{OFFICE}}}boolean-value") == "true" else "non"
    return "\n".join(_text(paragraph) for paragraph in cell if paragraph.tag == f"{{{TEXT}}}p")


def _text(element: Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{{{TEXT}}}s":
            parts.append(" " * int(child.get(f"{{{TEXT}}}c", "1")))
        elif child.tag == f"{{{TEXT}}}tab":
            parts.append("\t")
        elif child.tag == f"{{{TEXT}}}line-break":
            parts.append("\n")
        elif child.tag != f"{{{OFFICE}}}annotation":
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
