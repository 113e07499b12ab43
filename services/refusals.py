"""Workflow refusals as people read them: each refusal carries a stable code and parameters
(ApplicationError details); its text is looked up here by code, in French or English."""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowUpdateFailedError

# code: (English, French); `{…}` are the refusal's parameters.
MESSAGES: dict[str, tuple[str, str]] = {
    "not_a_draft": (
        "the plan is not a draft waiting for submission",
        "le plan n'est pas un brouillon à soumettre",
    ),
    "officer_submits": (
        "only the Quality & SD officer submits the plan",
        "seul le responsable Qualité & DD soumet le plan",
    ),
    "not_replaceable": (
        "only a plan waiting for approval can be replaced",
        "seul un plan en attente d'approbation peut être remplacé",
    ),
    "revision_elsewhere": (
        "the revision is not this portfolio's plan for {year}",
        "la révision n'est pas le plan {year} de ce portefeuille",
    ),
    "plan_invalid": ("the plan is not valid: {errors}", "le plan n'est pas valide : {errors}"),
    "not_awaiting_approval": (
        "the plan is not waiting for approval",
        "le plan n'attend pas d'approbation",
    ),
    "direction_approves": (
        "only the direction approves a plan",
        "seule la direction approuve un plan",
    ),
    "not_submitted": (
        "the officer has not submitted the plan yet",
        "le responsable Qualité & DD n'a pas encore soumis le plan",
    ),
    "direction_sends_back": (
        "only the direction sends a plan back",
        "seule la direction renvoie un plan au responsable Qualité & DD",
    ),
    "return_comment_missing": (
        "say what the officer should revise: a plan is sent back with a comment",
        "dites ce que le responsable Qualité & DD doit revoir : un plan est renvoyé avec un "
        "commentaire",
    ),
    "return_comment_too_long": (
        "the comment is too long: at most {limit} characters",
        "le commentaire est trop long : au plus {limit} caractères",
    ),
    "return_comment_control": (
        "control character {character} is not allowed in the comment",
        "caractère de contrôle {character} interdit dans le commentaire",
    ),
    "send_back_legacy": (
        "this cycle began before plans could be sent back: the officer imports a new version "
        "instead",
        "ce cycle a commencé avant que les plans puissent être renvoyés : le responsable "
        "Qualité & DD importe plutôt une nouvelle version",
    ),
    "plan_empty": (
        "the plan has no occurrence to run",
        "le plan ne contient aucune occurrence à exécuter",
    ),
    "not_executing": (
        "only a plan being executed can be amended",
        "seul un plan en cours d'exécution peut être amendé",
    ),
    "officer_amends": (
        "only the Quality & SD officer amends a plan",
        "seul le responsable Qualité & DD amende un plan",
    ),
    "occurrences_not_here": (
        "this cycle amends whole items only until its evaluation",
        "ce cycle n'amende que des éléments entiers jusqu'à son évaluation",
    ),
    "amendment_empty": ("the amendment changes nothing", "l'amendement ne change rien"),
    "unknown_items": ("unknown items: {items}", "éléments inconnus : {items}"),
    "items_cancelled": (
        "these items are already cancelled: {items}",
        "ces éléments sont déjà annulés : {items}",
    ),
    "unknown_tasks": ("unknown occurrences: {tasks}", "occurrences inconnues : {tasks}"),
    "tasks_closed": (
        "these occurrences are already closed: {tasks}",
        "ces occurrences sont déjà closes : {tasks}",
    ),
    "review_not_open": (
        "the year-end review opens with the evaluation",
        "le bilan de fin d'année s'ouvre avec l'évaluation",
    ),
    "review_recorded": ("the review is already recorded", "le bilan est déjà enregistré"),
    "officer_reviews": (
        "only the Quality & SD officer records the review",
        "seul le responsable Qualité & DD enregistre le bilan",
    ),
    "review_empty": (
        "the review needs its lessons learned",
        "le bilan doit comporter les enseignements",
    ),
    "task_closed": ("the task is already {status}", "la tâche est déjà {status}"),
    "officer_only": (
        "only the Quality & SD officer may do this",
        "seul le responsable Qualité & DD peut faire cela",
    ),
    "assignee_or_officer": (
        "only an assignee or the officer may do this",
        "seul un responsable de la tâche ou le responsable Qualité & DD peut faire cela",
    ),
    "values_missing": (
        "indicator values are missing: {indicators}",
        "il manque des valeurs d'indicateurs : {indicators}",
    ),
    "not_collected_here": (
        "this checkpoint collects {collects}; got {got}",
        "ce point d'étape recueille {collects} ; reçu {got}",
    ),
    "value_not_finite": (
        "values must be finite numbers: {indicators}",
        "les valeurs doivent être des nombres finis : {indicators}",
    ),
    "due_without_offset": (
        "the new due time needs a UTC offset",
        "la nouvelle échéance doit préciser son décalage horaire",
    ),
    "due_outside_year": (
        "{day} is outside the cycle's year {year}",
        "le {day} est hors de l'année {year} du cycle",
    ),
    "due_in_past": ("the new due time is in the past", "la nouvelle échéance est dans le passé"),
    "holiday": ("{day} is not a working day ({name})", "le {day} n'est pas un jour ouvré ({name})"),
    "non_working_day": ("{day} is not a working day", "le {day} n'est pas un jour ouvré"),
    "assignee_asks": (
        "only an assignee may ask to move the task",
        "seul un responsable de la tâche peut en demander le report",
    ),
    "request_waiting": (
        "a request to move this task is already waiting",
        "une demande de report de cette tâche attend déjà",
    ),
    "no_request": (
        "no request to move this task is waiting",
        "aucune demande de report de cette tâche n'attend",
    ),
    "assignees_not_assignable": (
        "assignees must be buyers or officers: {people}",
        "les responsables doivent être acheteurs ou responsables Qualité & DD : {people}",
    ),
}
STATUS_WORDS = {
    "en": {"done": "done", "cancelled": "cancelled", "missed": "closed without being done"},
    "fr": {"done": "faite", "cancelled": "annulée", "missed": "close sans avoir été faite"},
}


def refusal_of(error: WorkflowUpdateFailedError) -> tuple[str, str, dict[str, str], str]:
    """A validator's refusal: its kind, its code, its parameters and its English reason."""
    cause = error.cause
    kind = getattr(cause, "type", None) or ""
    message = str(getattr(cause, "message", cause))
    details = getattr(cause, "details", None) or ()
    first: Any = details[0] if details else None
    if isinstance(first, dict) and isinstance(first.get("code"), str):
        params = first.get("params") or {}
        return kind, first["code"], {str(k): str(v) for k, v in params.items()}, message
    return kind, "", {}, message


def refusal_text(code: str, params: dict[str, str], locale: str, fallback: str) -> str:
    """The refusal in `locale` (fr unless en); an unknown code keeps the workflow's words."""
    texts = MESSAGES.get(code)
    if texts is None:
        return fallback
    english, french = texts
    language = "en" if locale == "en" else "fr"
    values = dict(params)
    if "status" in values:
        values["status"] = STATUS_WORDS[language].get(values["status"], values["status"])
    try:
        return (english if language == "en" else french).format(**values)
    except (KeyError, IndexError):
        return fallback
