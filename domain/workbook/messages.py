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

WORKBOOK_MESSAGES.update(
    {
        "not_workbook": {
            "fr": "ce fichier n'est pas un classeur {format} lisible ({detail})",
            "en": "this file is not a readable {format} workbook ({detail})",
        },
        "missing_sheet": {
            "fr": "la feuille « {sheet} » manque au classeur",
            "en": "the workbook has no '{sheet}' sheet",
        },
        "empty_sheet": {
            "fr": "la feuille est vide : sa première ligne doit porter les en-têtes ({headers})",
            "en": "the sheet is empty: its first row must hold the headers ({headers})",
        },
        "merged_cells": {
            "fr": "cellules fusionnées {range} : défusionnez-les, une valeur par cellule",
            "en": "merged cells {range}: unmerge them, one value per cell",
        },
        "unknown_column": {
            "fr": "colonne inconnue « {header} » : attendu {expected}",
            "en": "unknown column '{header}': expected {expected}",
        },
        "missing_column": {
            "fr": "la colonne « {header} » manque à la ligne d'en-têtes",
            "en": "the header row lacks the column '{header}'",
        },
        "unknown_parameter": {
            "fr": "paramètre inconnu « {header} » : attendu {expected}",
            "en": "unknown setting '{header}': expected {expected}",
        },
        "bad_choice": {
            "fr": "« {value} » n'est pas dans la liste : attendu {expected}",
            "en": "'{value}' is not in the list: expected {expected}",
        },
        "bad_date_cell": {
            "fr": "« {value} » n'est pas une date : une date du tableur, AAAA-MM-JJ HH:MM "
            "ou JJ/MM/AAAA HH:MM",
            "en": "'{value}' is not a date: a spreadsheet date, YYYY-MM-DD HH:MM "
            "or DD/MM/YYYY HH:MM",
        },
        "bad_duration_words": {
            "fr": "durée « {value} » illisible : « 1 h 30 min », « 3 h », « 7 jours », "
            "« 2 semaines » ou P7D",
            "en": "unreadable duration '{value}': '1 h 30 min', '3 h', '7 jours', "
            "'2 semaines' or P7D",
        },
        "bad_number": {
            "fr": "« {value} » n'est pas un nombre",
            "en": "'{value}' is not a number",
        },
        "rule_every": {
            "fr": "« Chaque » attend jour, semaine, mois ou an",
            "en": "'Chaque' takes jour, semaine, mois or an",
        },
        "rule_interval": {
            "fr": "« Intervalle » attend un nombre entier à partir de 1",
            "en": "'Intervalle' takes a whole number from 1",
        },
        "rule_rank": {
            "fr": "« Rang » attend 1er, 2e, 3e, 4e, 5e ou dernier",
            "en": "'Rang' takes 1er, 2e, 3e, 4e, 5e or dernier",
        },
        "rule_rank_needs_day": {
            "fr": "un rang va avec un jour de la semaine : « 2e » et « jeudi »",
            "en": "a rank goes with a weekday: '2e' and 'jeudi'",
        },
        "rule_rank_frequency": {
            "fr": "un rang (« 2e jeudi ») ne se dit que chaque mois ou chaque an",
            "en": "a rank ('2e jeudi') only goes with every month or every year",
        },
        "rule_day": {
            "fr": "« Jour » attend lundi…dimanche (chaque semaine ou chaque mois), ou un "
            "quantième de 1 à 31 ou « dernier » (chaque mois)",
            "en": "'Jour' takes lundi…dimanche (weekly or monthly), or a day of the month "
            "from 1 to 31 or 'dernier' (monthly)",
        },
        "rule_both": {
            "fr": "la répétition est dite deux fois : remplissez « Chaque »… ou « Règle RRULE », "
            "pas les deux",
            "en": "the recurrence is given twice: fill 'Chaque'… or 'Règle RRULE', not both",
        },
        "rule_without_every": {
            "fr": "« Chaque » manque : jour, semaine, mois ou an",
            "en": "'Chaque' is missing: jour, semaine, mois or an",
        },
        "unknown_item_row": {
            "fr": "aucune action « {value} » dans le plan {portfolio} {year} (feuille Actions)",
            "en": "no item '{value}' in the {portfolio} {year} plan (Actions sheet)",
        },
        "second_organisation_row": {
            "fr": "une seule ligne « organisation » : la première est ligne {first_line}",
            "en": "one 'organisation' row only: the first is on line {first_line}",
        },
        "duplicate_reminder_row": {
            "fr": "déjà réglé ligne {first_line}",
            "en": "already set on line {first_line}",
        },
    }
)
