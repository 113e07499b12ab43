"""RFC 9457 problem details for every error, including the framework's own, in French or English.

Routes raise `ApiError(status, code, **facts)`; the message is looked up by code in the
language the client asked for (`Accept-Language`, French by default, as the organisation).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM = "application/problem+json"
PROBLEM_TYPE = "https://boucle.dev/problems/"

TITLES = {
    400: ("Bad Request", "Requête incorrecte"),
    401: ("Unauthorized", "Authentification requise"),
    403: ("Forbidden", "Accès refusé"),
    404: ("Not Found", "Introuvable"),
    405: ("Method Not Allowed", "Méthode non permise"),
    409: ("Conflict", "Conflit"),
    413: ("Content Too Large", "Contenu trop volumineux"),
    415: ("Unsupported Media Type", "Type de contenu non pris en charge"),
    422: ("Unprocessable Content", "Contenu invalide"),
    500: ("Internal Server Error", "Erreur interne"),
    503: ("Service Unavailable", "Service indisponible"),
}

# code: (English, French); `{name}` fields come from the error's facts.
MESSAGES: dict[str, tuple[str, str]] = {
    "token_required": ("a bearer token is required", "un jeton d'accès (Bearer) est requis"),
    "token_invalid": (
        "unknown, revoked or expired token",
        "jeton inconnu, révoqué ou expiré",
    ),
    "role_forbidden": (
        "a person with the role {role} may not do this",
        "une personne au rôle {role} ne peut pas faire cela",
    ),
    "not_your_task": ("this task does not concern you", "cette tâche ne vous concerne pas"),
    "not_your_portfolio": (
        "this portfolio is not one of yours",
        "ce portefeuille ne fait pas partie des vôtres",
    ),
    "not_yourself": (
        "you may only read your own record",
        "vous ne pouvez consulter que votre propre fiche",
    ),
    "role_change_forbidden": (
        "only an administrator changes a role or whether a person is active",
        "seul un administrateur change un rôle ou l'activité d'une personne",
    ),
    "own_role": (
        "nobody changes their own role or activity",
        "personne ne change son propre rôle ni sa propre activité",
    ),
    "protected_person": (
        "only an administrator creates or changes a member of the direction or an administrator",
        "seul un administrateur crée ou modifie un membre de la direction ou un administrateur",
    ),
    "no_proposal": ("no proposal {proposal}", "aucune proposition {proposal}"),
    "proposal_settled": (
        "proposal {proposal} is already settled",
        "la proposition {proposal} est déjà traitée",
    ),
    "temporal_down": (
        "the workflow engine is not reachable",
        "le moteur de workflows est injoignable",
    ),
    "no_cycle": (
        "no cycle for portfolio {portfolio!r} in {year}",
        "aucun cycle pour le portefeuille {portfolio!r} en {year}",
    ),
    "no_task": ("no task {task!r}", "aucune tâche {task!r}"),
    "no_person": ("no person {person!r}", "aucune personne {person!r}"),
    "no_portfolio": ("no portfolio {portfolio!r}", "aucun portefeuille {portfolio!r}"),
    "no_indicator": ("no indicator {indicator!r}", "aucun indicateur {indicator!r}"),
    "no_plan": (
        "no plan for portfolio {portfolio!r} in {year}",
        "aucun plan pour le portefeuille {portfolio!r} en {year}",
    ),
    "no_plan_version": (
        "plan {portfolio}/{year} has no version {version}",
        "le plan {portfolio}/{year} n'a pas de version {version}",
    ),
    "no_token": ("no token {token}", "aucun jeton {token}"),
    "no_evidence": ("no such evidence file", "aucune pièce justificative de ce nom"),
    "task_closed": (
        "this task is closed: it can no longer change",
        "cette tâche est close : elle ne peut plus changer",
    ),
    "cycle_closed": (
        "this cycle is closed: it can no longer change",
        "ce cycle est clos : il ne peut plus changer",
    ),
    "refused": ("{reason}", "{reason_fr}"),
    "idempotency_key_reused": (
        "this {header} was already used for another request",
        "cette clé {header} a déjà servi pour une autre requête",
    ),
    "request_in_flight": (
        "the same request is being handled: try again in a moment",
        "la même requête est en cours de traitement : réessayez dans un instant",
    ),
    "plan_invalid": (
        "the plan has {count} error(s)",
        "le plan comporte {count} erreur(s)",
    ),
    "decp_invalid": (
        "the DECP file has {count} bad record(s); nothing was stored",
        "le fichier DECP comporte {count} enregistrement(s) invalide(s) ; rien n'a été enregistré",
    ),
    "plan_unreadable": ("the plan could not be read: {reason}", "plan illisible : {reason}"),
    "plan_media_type": (
        "send a plan as application/yaml, text/yaml or application/json",
        "envoyez un plan en application/yaml, text/yaml ou application/json",
    ),
    "too_large": (
        "the body is larger than {limit} bytes",
        "le contenu dépasse {limit} octets",
    ),
    "evidence_type": (
        "evidence must be one of: {accepted}",
        "une pièce justificative doit être de type : {accepted}",
    ),
    "csv_media_type": ("send values as text/csv", "envoyez les valeurs en text/csv"),
    "csv_unreadable": ("the CSV is not UTF-8 text", "le CSV n'est pas un texte UTF-8"),
    "csv_invalid": (
        "the CSV has {count} error(s); nothing was stored",
        "le CSV comporte {count} erreur(s) ; rien n'a été enregistré",
    ),
    "invalid_request": ("the request is not valid", "la requête n'est pas valide"),
    "not_found": ("nothing here", "rien à cette adresse"),
    "method_not_allowed": ("method not allowed here", "méthode non permise ici"),
    "internal": (
        "an unexpected error occurred; it has been logged",
        "une erreur inattendue s'est produite ; elle a été journalisée",
    ),
}


class Problem(BaseModel):
    """An RFC 9457 problem; `code` is stable, `detail` is for people, in their language."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str | None = None
    errors: list[dict[str, Any]] | None = None


class ApiError(StarletteHTTPException):
    def __init__(
        self,
        status: int,
        code: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **facts: Any,
    ) -> None:
        super().__init__(status, MESSAGES[code][0].format(**facts), headers=headers)
        self.code = code
        self.facts = facts
        self.errors = errors


def wants_french(request: Request | None) -> bool:
    """French unless the client prefers English (q-values respected, `*` ignored)."""
    if request is None:
        return True
    header = request.headers.get("accept-language", "")
    best, best_q = "fr", -1.0
    for part in header.split(","):
        pieces = part.strip().split(";")
        language = pieces[0].strip().lower()[:2]
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if language in ("fr", "en") and quality > best_q:
            best, best_q = language, quality
    return best == "fr"


def locale_of(request: Request | None) -> str:
    return "fr" if wants_french(request) else "en"


def message(code: str, request: Request | None, **facts: Any) -> str:
    english, french = MESSAGES[code]
    return (french if wants_french(request) else english).format(**facts)


def problem(
    status: int,
    detail: str | None,
    request: Request | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> JSONResponse:
    english, french = TITLES.get(status, ("Error", "Erreur"))
    body = Problem(
        type=PROBLEM_TYPE + code if code else "about:blank",
        title=french if wants_french(request) else english,
        status=status,
        detail=detail,
        instance=str(request.url.path) if request else None,
        code=code,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM, headers=headers
    )


FRAMEWORK_CODES = {404: "not_found", 405: "method_not_allowed", 401: "token_required"}


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        headers = getattr(error, "headers", None)
        if isinstance(error, ApiError):
            return problem(
                error.status_code,
                message(error.code, request, **error.facts),
                request,
                errors=error.errors,
                headers=headers,
                code=error.code,
            )
        code = FRAMEWORK_CODES.get(error.status_code)
        detail = message(code, request) if code else (str(error.detail) or None)
        return problem(error.status_code, detail, request, headers=headers, code=code)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(part) for part in e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in error.errors()
        ]
        return problem(
            422, message("invalid_request", request), request, errors, code="invalid_request"
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        import logging

        logging.getLogger("boucle.api").exception("unexpected error on %s", request.url.path)
        return problem(500, message("internal", request), request, code="internal")


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route may answer."""
    return {code: {"model": Problem, "content": {PROBLEM: {}}} for code in codes}


PROBLEM_RESPONSES = responses(401, 403, 404, 409, 422)
