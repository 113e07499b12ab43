"""Plans as workbooks (XLSX, ODS): bytes in, bytes out, errors located by sheet and cell."""
