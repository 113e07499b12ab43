"""French and English texts of plan validation messages, keyed by code."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "yaml": {
        "fr": "YAML illisible : {detail}",
        "en": "unreadable YAML: {detail}",
    },
    "json": {
        "fr": "JSON illisible : {detail}",
        "en": "unreadable JSON: {detail}",
    },
    "too_deep": {
        "fr": "imbrication trop profonde : au plus {limit} niveaux de listes et d'objets",
        "en": "nested too deeply: at most {limit} levels of lists and mappings",
    },
    "alias_expansion": {
        "fr": "les alias YAML (*nom) recopient trop de valeurs : au plus {limit} en tout",
        "en": "YAML aliases (*name) copy too many values: at most {limit} in all",
    },
    "not_mapping": {
        "fr": "le fichier doit décrire un objet (clé: valeur), pas {found}",
        "en": "the file must describe a mapping (key: value), not {found}",
    },
    "missing": {"fr": "champ obligatoire manquant", "en": "required field is missing"},
    "unknown_field": {
        "fr": "champ inconnu « {field} »",
        "en": "unknown field '{field}'",
    },
    "unknown_field_comma": {
        "fr": "champ inconnu « {field} » : une virgule dans une valeur entre accolades ? "
        "mettez la valeur entre guillemets",
        "en": "unknown field '{field}': a comma inside a value between braces? "
        "put the value in quotes",
    },
    "choice": {
        "fr": "valeur « {value} » invalide : attendu {expected}",
        "en": "invalid value '{value}': expected {expected}",
    },
    "type": {
        "fr": "type invalide ({found}) : attendu {expected}",
        "en": "wrong type ({found}): expected {expected}",
    },
    "finite_number": {
        "fr": "nombre attendu : ni infini ni NaN",
        "en": "a number is expected: neither infinite nor NaN",
    },
    "invalid": {"fr": "valeur invalide : {detail}", "en": "invalid value: {detail}"},
    "version": {
        "fr": "version de format {value} inconnue : seule la version 1 existe",
        "en": "unknown format version {value}: only version 1 exists",
    },
    "bad_id": {
        "fr": "identifiant « {value} » invalide : lettres minuscules, chiffres, « - » ou « _ »",
        "en": "invalid id '{value}': use lowercase letters, digits, '-' or '_'",
    },
    "control_character": {
        "fr": "caractère de contrôle {character} interdit (retour à la ligne, tabulation…) : "
        "ce texte tient sur une ligne",
        "en": "control character {character} is not allowed (line break, tab…): "
        "this text fits on one line",
    },
    "control_character_text": {
        "fr": "caractère de contrôle {character} interdit",
        "en": "control character {character} is not allowed",
    },
    "blank_text": {
        "fr": "ce texte est vide : écrivez-le",
        "en": "this text is empty: write it",
    },
    "bad_siret": {
        "fr": "« {value} » n'est pas un SIRET (14 chiffres)",
        "en": "'{value}' is not a SIRET (14 digits)",
    },
    "bad_cpv": {
        "fr": "« {value} » n'est pas un début de code CPV (2 à 8 chiffres, par exemple 45 ou 9091)",
        "en": "'{value}' is not the start of a CPV code (2 to 8 digits, e.g. 45 or 9091)",
    },
    "bad_email": {
        "fr": "adresse électronique « {value} » invalide",
        "en": "invalid email address '{value}'",
    },
    "bad_timezone": {
        "fr": "fuseau horaire « {value} » inconnu (exemple : Europe/Paris)",
        "en": "unknown timezone '{value}' (example: Europe/Paris)",
    },
    "bad_holidays": {
        "fr": "calendrier de jours fériés « {value} » inconnu (exemples : FR, FR-57, FR-6AE)",
        "en": "unknown public holidays calendar '{value}' (examples: FR, FR-57, FR-6AE)",
    },
    "bad_duration": {
        "fr": "durée « {value} » invalide : format ISO 8601 attendu (P7D, PT1H30M)",
        "en": "invalid duration '{value}': ISO 8601 expected (P7D, PT1H30M)",
    },
    "bad_time": {
        "fr": "heure « {value} » invalide : format HH:MM attendu",
        "en": "invalid time '{value}': HH:MM expected",
    },
    "bad_datetime": {
        "fr": "date « {value} » invalide : AAAA-MM-JJ ou AAAA-MM-JJTHH:MM (heure locale) attendu",
        "en": "invalid date '{value}': YYYY-MM-DD or YYYY-MM-DDTHH:MM (local time) expected",
    },
    "has_offset": {
        "fr": "« {value} » porte un décalage horaire : donnez l'heure locale de l'organisation",
        "en": "'{value}' carries a UTC offset: give the organisation's local time",
    },
    "bad_rrule": {
        "fr": "règle de récurrence (RRULE) invalide : {detail}",
        "en": "invalid recurrence rule (RRULE): {detail}",
    },
    "rrule_frequency": {
        "fr": "fréquence {value} refusée : une tâche revient au plus chaque jour "
        "(DAILY, WEEKLY, MONTHLY ou YEARLY)",
        "en": "frequency {value} refused: a task recurs at most daily "
        "(DAILY, WEEKLY, MONTHLY or YEARLY)",
    },
    "rrule_time_part": {
        "fr": "{value} refusé : chaque occurrence prend l'heure de start",
        "en": "{value} is refused: every occurrence takes its time from start",
    },
    "rrule_nonstandard": {
        "fr": "{value} refusé : absent de la RFC 5545, les agendas ne le liraient pas",
        "en": "{value} is refused: it is not RFC 5545, calendars would not read it",
    },
    "rrule_too_long": {
        "fr": "règle de récurrence trop longue : au plus {limit} caractères",
        "en": "recurrence rule too long: at most {limit} characters",
    },
    "item_occurrences": {
        "fr": "plus de {limit} occurrences en {year} : au plus {limit} par élément "
        "(une tâche hebdomadaire en a 53)",
        "en": "more than {limit} occurrences in {year}: at most {limit} per item "
        "(a weekly task has 53)",
    },
    "file_occurrences": {
        "fr": "le fichier dépasse {limit} occurrences en tout (ici, avec cet élément)",
        "en": "the file exceeds {limit} occurrences in all (here, with this item)",
    },
    "file_days_scanned": {
        "fr": "les récurrences du fichier demandent trop de calcul (des règles qui ne tombent "
        "presque jamais ?) : au plus {limit} jours parcourus en tout",
        "en": "the file's recurrences take too much computing (rules that almost never "
        "occur?): at most {limit} days gone through in all",
    },
    "rrule_empty": {
        "fr": "la récurrence ne produit aucune occurrence en {year}",
        "en": "the recurrence produces no occurrence in {year}",
    },
    "outside_year": {
        "fr": "{value} est hors de l'année du plan ({year})",
        "en": "{value} is outside the plan's year ({year})",
    },
    "duplicate_id": {
        "fr": "identifiant « {value} » en double (déjà utilisé ligne {first_line})",
        "en": "duplicate id '{value}' (already used on line {first_line})",
    },
    "duplicate_plan": {
        "fr": "plan en double pour le portefeuille « {portfolio} » et l'année {year} "
        "(déjà ligne {first_line})",
        "en": "duplicate plan for portfolio '{portfolio}' and year {year} "
        "(already on line {first_line})",
    },
    "unknown_person": {
        "fr": "personne « {value} » inconnue (absente de people)",
        "en": "unknown person '{value}' (not in people)",
    },
    "unknown_portfolio": {
        "fr": "portefeuille « {value} » inconnu (absent de portfolios)",
        "en": "unknown portfolio '{value}' (not in portfolios)",
    },
    "ratio_needs_parts": {
        "fr": "un indicateur en ratio nomme son numérateur et son dénominateur",
        "en": "a ratio indicator (aggregation: ratio) names its numerator and its denominator",
    },
    "parts_without_ratio": {
        "fr": "numérateur et dénominateur ne servent qu'à un indicateur en ratio",
        "en": "numerator and denominator only apply to a ratio indicator",
    },
    "unknown_indicator": {
        "fr": "indicateur « {value} » inconnu (absent de indicators)",
        "en": "unknown indicator '{value}' (not in indicators)",
    },
    "unknown_objective": {
        "fr": "objectif « {value} » inconnu dans ce plan",
        "en": "unknown objective '{value}' in this plan",
    },
    "wrong_role": {
        "fr": "« {value} » a le rôle {role} : attendu {expected}",
        "en": "'{value}' has role {role}: expected {expected}",
    },
    "attendees_non_event": {
        "fr": "des participants (attendees) ne s'appliquent qu'aux formations et rencontres "
        "fournisseurs, pas à {kind}",
        "en": "attendees only apply to training sessions and supplier meetings, not to {kind}",
    },
    "start_or_due": {
        "fr": "indiquez soit start soit due (un seul des deux)",
        "en": "give either start or due (exactly one)",
    },
    "event_needs_time": {
        "fr": "un événement ({kind}) a besoin d'une heure de début (AAAA-MM-JJTHH:MM)",
        "en": "an event ({kind}) needs a start time (YYYY-MM-DDTHH:MM)",
    },
    "checkpoint_needs_indicators": {
        "fr": "un point d'étape indicateurs doit lister au moins un indicateur",
        "en": "an indicator checkpoint must list at least one indicator",
    },
    "indicators_non_checkpoint": {
        "fr": "seul un indicator_checkpoint collecte des indicateurs, pas {kind}",
        "en": "only an indicator_checkpoint collects indicators, not {kind}",
    },
    "empty_list": {
        "fr": "la liste ne peut pas être vide",
        "en": "the list cannot be empty",
    },
    "no_working_day": {
        "fr": "il faut au moins un jour ouvré",
        "en": "at least one working day is needed",
    },
    "negative_duration": {
        "fr": "la durée « {value} » doit être positive",
        "en": "duration '{value}' must be positive",
    },
    "year_range": {
        "fr": "année {value} hors des limites (2000 à 2100)",
        "en": "year {value} out of range (2000 to 2100)",
    },
    "evaluate_on_range": {
        "fr": "la date d'évaluation {value} doit tomber dans l'année {year} ou au premier "
        "trimestre suivant",
        "en": "the evaluation date {value} must fall in {year} or the first quarter after",
    },
    "approve_by_late": {
        "fr": "la date d'approbation {value} doit précéder la fin de l'année {year}",
        "en": "the approval date {value} must come before the end of {year}",
    },
}


def render_message(code: str, locale: str, params: dict[str, Any]) -> str:
    """Fill the template of `code` in `locale` (French when unknown)."""
    texts = MESSAGES[code]
    template = texts.get(locale) or texts["fr"]
    return template.format(**params)
