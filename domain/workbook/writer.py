"""A plan as workbook sheets: one row per person, portfolio, plan, indicator, objective,
item and reminder setting, in the words of labels.py."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Literal

from domain.model import PlanFile, PlanItem, ReminderOverride
from domain.recurrence_words import describe_recurrence_at
from domain.workbook import layout
from domain.workbook.labels import CHOICES, NONE_WORD, label
from domain.workbook.layout import COLUMNS, ORGANISATION_ROWS, Column
from domain.workbook.phrases import duration_words, rule_columns
from domain.workbook.table import Cell, Choices, SheetOut

NOTICE_LINES = (
    "Ce classeur est un plan Boucle : « boucle plan check FICHIER.xlsx » le vérifie, "
    "« boucle plan import » l'importe.",
    "Une ligne par élément ; les identifiants (minuscules, chiffres, - et _) relient les "
    "feuilles entre elles. Plusieurs identifiants dans une cellule : séparés par des virgules.",
    "Dates : des dates du tableur (2027-03-16 14:00) ; une date seule pour une échéance "
    "vaut 17 h ce jour-là. Une date écrite en texte doit suivre AAAA-MM-JJ ou JJ/MM/AAAA.",
    "Répétition (feuille Actions) : « Chaque » mois, « Intervalle » 3, « Jour » jeudi, "
    "« Rang » 2e : le 2e jeudi, tous les 3 mois. Chaque semaine, jour « lundi, jeudi » ; "
    "chaque mois, jour 15 ou « dernier ». Une règle que ces colonnes ne savent pas dire va "
    "dans « Règle RRULE » (RFC 5545).",
    "Durées et délais : « 1 h 30 min », « 3 h », « 7 jours », « 2 semaines », séparés par "
    "des virgules pour les rappels (« 7 jours, 1 jour ») ; « aucun » les supprime ; une "
    "cellule vide reprend le réglage du niveau au-dessus (organisation, type, action).",
    "Ne fusionnez pas de cellules ; la colonne « En clair » est calculée et ignorée à la "
    "lecture. Chaque en-tête porte une note qui dit ce que la colonne attend.",
)


def _notice_rows() -> list[list[Cell]]:
    rows: list[list[Cell]] = [["Mode d'emploi"]]
    rows += [[line] for line in NOTICE_LINES]
    return rows


def _ids_choice(name: str, plan: PlanFile | None) -> list[str]:
    if plan is None:
        return []
    if name == "person":
        return [person.id for person in plan.people]
    if name == "portfolio":
        return [folio.id for folio in plan.portfolios]
    return [indicator.id for indicator in plan.indicators]


def _lists(plan: PlanFile | None) -> tuple[SheetOut, dict[str, tuple[int, int]]]:
    """The hidden sheet of every drop-down list, and where each list's column lies."""
    names = [*CHOICES, "person", "portfolio", "indicator"]
    columns = [
        list(CHOICES[name].values()) if name in CHOICES else _ids_choice(name, plan)
        for name in names
    ]
    height = max(len(values) for values in columns)
    rows: list[list[Cell]] = [list(names)]
    for index in range(height):
        rows.append([values[index] if index < len(values) else None for values in columns])
    where = {
        name: (position, max(len(columns[position]), 1)) for position, name in enumerate(names)
    }
    return SheetOut(layout.LISTS, rows, hidden=True), where


def _cell(column: Column, value: Any) -> Cell:
    if value is None:
        return None
    if column.kind == "ids" or column.kind == "weekdays":
        words = [label("weekday", v) if column.kind == "weekdays" else v for v in value]
        return ", ".join(words) if words else None
    if column.kind == "choice":
        return label(column.choice, value)
    if column.kind == "bool":
        return label("bool", "true" if value else "false")
    if column.kind == "date":
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if column.kind == "clock":
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    if column.kind == "durations":
        return ", ".join(duration_words(offset) for offset in value) if value else NONE_WORD
    if column.kind == "duration":
        return NONE_WORD if value == "off" else duration_words(value)
    if column.kind == "number" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _in_words(item: PlanItem) -> Cell:
    """The item's recurrence in French, for the read-only column "En clair"."""
    if not item.rrule:
        return None
    start = (
        datetime.fromisoformat(item.anchor)
        if "T" in item.anchor
        else date.fromisoformat(item.anchor)
    )
    try:
        return describe_recurrence_at(item.rrule, start, "fr")
    except ValueError:
        return None


def _with_words(sheet: SheetOut) -> SheetOut:
    column = len(COLUMNS[layout.ITEMS])
    sheet.rows[0].append(layout.PLAIN_WORDS)
    sheet.notes[(0, column)] = "la répétition dite en français, calculée : ignorée à la lecture"
    sheet.widths.append(44)
    return sheet


def _row(columns: tuple[Column, ...], values: dict[str, Any]) -> list[Cell]:
    return [_cell(column, values.get(column.key)) for column in columns]


def _reminder_values(override: ReminderOverride) -> dict[str, Any]:
    return {key: getattr(override, key) for key in ReminderOverride.model_fields}


def _sheet(name: str, rows: list[list[Cell]], where: dict[str, tuple[int, int]]) -> SheetOut:
    columns = COLUMNS[name]
    header: list[Cell] = [column.header for column in columns]
    notes = {(0, index): column.help for index, column in enumerate(columns)}
    choices = [
        Choices(index, where[column.choice][0], where[column.choice][1], column.kind != "ids")
        for index, column in enumerate(columns)
        if column.choice
        and column.kind in ("choice", "bool", "id", "ids", "rule")
        and column.key not in ("day",)
    ]
    widths = [max(12, min(40, len(column.header) + 4)) for column in columns]
    return SheetOut(name, [header, *rows], notes, choices, widths)


def plan_sheets(plan: PlanFile | None) -> list[SheetOut]:
    """The sheets of `plan` (a blank template when None), lists and notice included."""
    lists, where = _lists(plan)
    organisation = (
        plan.organisation.model_dump(mode="json")
        if plan
        else {
            "timezone": "Europe/Paris",
            "locale": "fr",
            "holidays": "FR",
            "working_days": ["MO", "TU", "WE", "TH", "FR"],
            "on_holiday": "next_working_day",
        }
    )
    org_rows: list[list[Cell]] = [["Paramètre", "Valeur"]]
    for column in ORGANISATION_ROWS:
        value = organisation.get(column.key)
        if column.key == "holidays" and plan is not None and value is None:
            org_rows.append([column.header, NONE_WORD])
        else:
            org_rows.append([column.header, _cell(column, value)])
    sheets = [
        SheetOut(
            layout.ORGANISATION,
            org_rows,
            {(index + 1, 0): column.help for index, column in enumerate(ORGANISATION_ROWS)},
            [
                Choices(1, where["locale"][0], where["locale"][1], False),
            ],
            [24, 40],
        )
    ]
    people = (
        [_row(COLUMNS[layout.PEOPLE], p.model_dump(mode="json")) for p in plan.people]
        if plan
        else []
    )
    folios = (
        [_row(COLUMNS[layout.PORTFOLIOS], f.model_dump(mode="json")) for f in plan.portfolios]
        if plan
        else []
    )
    indicators = (
        [_row(COLUMNS[layout.INDICATORS], i.model_dump(mode="json")) for i in plan.indicators]
        if plan
        else []
    )
    year_plans, objectives, items = [], [], []
    reminders: list[list[Cell]] = []
    reminder_columns = COLUMNS[layout.REMINDERS]
    if plan is None:
        reminders.append(
            _row(
                reminder_columns,
                {
                    "scope": "organisation",
                    "before": ["P7D", "P1D"],
                    "on_due": True,
                    "overdue": ["P3D", "P7D"],
                    "escalate_after": "P10D",
                    "send_at": "09:00",
                },
            )
        )
    else:
        section = plan.reminders
        reminders.append(
            _row(reminder_columns, {"scope": "organisation", **_reminder_values(section)})
        )
        for kind, override in section.kinds.items():
            reminders.append(
                _row(
                    reminder_columns, {"scope": "kind", "kind": kind, **_reminder_values(override)}
                )
            )
    for year_plan in plan.plans if plan else []:
        key = {"portfolio": year_plan.portfolio, "year": year_plan.year}
        year_plans.append(_row(COLUMNS[layout.PLANS], year_plan.model_dump(mode="json")))
        for objective in year_plan.objectives:
            objectives.append(
                _row(COLUMNS[layout.OBJECTIVES], {**key, **objective.model_dump(mode="json")})
            )
        for item in year_plan.items:
            values = {**key, **item.model_dump(mode="json")}
            if item.rrule is not None and (said := rule_columns(item.rrule)) is not None:
                values.update(
                    every=said.every,
                    interval=said.interval,
                    day=said.day,
                    rank=said.rank,
                    rrule=None,
                )
            items.append([*_row(COLUMNS[layout.ITEMS], values), _in_words(item)])
            if item.reminders is not None:
                reminders.append(
                    _row(
                        reminder_columns,
                        {
                            "scope": "item",
                            **key,
                            "item": item.id,
                            **_reminder_values(item.reminders),
                        },
                    )
                )
    sheets += [
        _sheet(layout.PEOPLE, people, where),
        _sheet(layout.PORTFOLIOS, folios, where),
        _sheet(layout.PLANS, year_plans, where),
        _sheet(layout.INDICATORS, indicators, where),
        _sheet(layout.OBJECTIVES, objectives, where),
        _with_words(_sheet(layout.ITEMS, items, where)),
        _sheet(layout.REMINDERS, reminders, where),
        lists,
        SheetOut(layout.NOTICE, _notice_rows(), widths=[120]),
    ]
    return sheets


def _encode(sheets: list[SheetOut], fmt: Literal["xlsx", "ods"]) -> bytes:
    if fmt == "xlsx":
        from domain.workbook.xlsx import write_xlsx

        return write_xlsx(sheets, layout.LISTS)
    from domain.workbook.ods import write_ods

    return write_ods(sheets, layout.LISTS)


def write_workbook(plan: PlanFile, fmt: Literal["xlsx", "ods"]) -> bytes:
    """The plan as an XLSX or ODS workbook."""
    return _encode(plan_sheets(plan), fmt)


def write_template(fmt: Literal["xlsx", "ods"]) -> bytes:
    """A blank plan workbook: headers with their notes, drop-down lists, the notice."""
    return _encode(plan_sheets(None), fmt)
