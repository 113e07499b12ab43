"""Workflow refusals in French: the workflows state their reasons in English (they are recorded
in histories, which must not change with a translation); the API translates them for people."""

from __future__ import annotations

import re

# (English reason as the workflows write it, French), `{…}` parts carried over as they are.
REASONS: list[tuple[str, str]] = [
    (
        "the plan is not a draft waiting for submission",
        "le plan n'est pas un brouillon à soumettre",
    ),
    (
        "only the Quality & SD officer submits the plan",
        "seul le responsable Qualité & DD soumet le plan",
    ),
    (
        "only a plan waiting for approval can be replaced",
        "seul un plan en attente d'approbation peut être remplacé",
    ),
    ("the plan is not waiting for approval", "le plan n'attend pas d'approbation"),
    ("only the direction approves a plan", "seule la direction approuve un plan"),
    (
        "the officer has not submitted the plan yet",
        "le responsable Qualité & DD n'a pas encore soumis le plan",
    ),
    ("the plan has no occurrence to run", "le plan ne contient aucune occurrence à exécuter"),
    (
        "only a plan being executed can be amended",
        "seul un plan en cours d'exécution peut être amendé",
    ),
    (
        "only the Quality & SD officer amends a plan",
        "seul le responsable Qualité & DD amende un plan",
    ),
    ("unknown items: {rest}", "éléments inconnus : {rest}"),
    (
        "the year-end review opens with the evaluation",
        "le bilan de fin d'année s'ouvre avec l'évaluation",
    ),
    ("the review is already recorded", "le bilan est déjà enregistré"),
    (
        "only the Quality & SD officer records the review",
        "seul le responsable Qualité & DD enregistre le bilan",
    ),
    ("the review needs its lessons learned", "le bilan doit comporter les enseignements"),
    ("task is already done", "la tâche est déjà faite"),
    ("task is already cancelled", "la tâche est déjà annulée"),
    (
        "only the Quality & SD officer may do this",
        "seul le responsable Qualité & DD peut faire cela",
    ),
    (
        "only an assignee or the officer may complete it",
        "seul un responsable de la tâche ou le responsable Qualité & DD peut la terminer",
    ),
    ("indicator values are missing: {rest}", "il manque des valeurs d'indicateurs : {rest}"),
    (
        "only an assignee or the officer may submit values",
        "seul un responsable de la tâche ou le responsable Qualité & DD peut saisir des valeurs",
    ),
    (
        "the new due time needs a UTC offset",
        "la nouvelle échéance doit préciser son décalage horaire",
    ),
    ("the new due time is in the past", "la nouvelle échéance est dans le passé"),
    ("{day} is not a working day ({name})", "le {day} n'est pas un jour ouvré ({name})"),
    (
        "only an assignee may ask to move the task",
        "seul un responsable de la tâche peut en demander le report",
    ),
    (
        "a request to move this task is already waiting",
        "une demande de report de cette tâche attend déjà",
    ),
    ("no request to move this task is waiting", "aucune demande de report de cette tâche n'attend"),
    ("this checkpoint collects {rest}", "ce point d'étape recueille {rest}"),
    (
        "assignees must be buyers or officers: {rest}",
        "les responsables doivent être acheteurs ou responsables Qualité & DD : {rest}",
    ),
    ("the plan is not valid: {rest}", "le plan n'est pas valide : {rest}"),
]


def _pattern(english: str) -> re.Pattern[str]:
    escaped = re.escape(english)
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", escaped) + "$", re.S)


COMPILED = [(_pattern(english), french) for english, french in REASONS]


def in_french(reason: str) -> str:
    """The French wording of a workflow's reason; an unknown reason is kept as it is."""
    for pattern, french in COMPILED:
        match = pattern.match(reason)
        if match:
            return french.format(**match.groupdict())
    return reason
