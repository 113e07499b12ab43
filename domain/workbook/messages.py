"""French and English texts of the errors only a workbook can have, keyed by code."""

from __future__ import annotations

WORKBOOK_MESSAGES: dict[str, dict[str, str]] = {
    "unknown_suffix": {
        "fr": "format de fichier inconnu « {suffix} » : attendu .yaml, .yml, .json, .xlsx ou .ods",
        "en": "unknown file format '{suffix}': expected .yaml, .yml, .json, .xlsx or .ods",
    },
    "not_utf8": {
        "fr": "le fichier n'est pas en UTF-8",
        "en": "the file is not UTF-8 text",
    },
}
