"""Administration: API tokens and the running settings (secrets never leave the server)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from api.access import Admin
from api.deps import SessionDep
from api.errors import ApiError, responses
from api.models import TokenCreate, TokenCreated, TokenPublic
from services.tokens import issue_token, revoke_token, tokens_of
from store.tables import ApiToken

router = APIRouter(tags=["administration"], responses=responses(401, 403))
SECRET_SETTINGS = {"smtp_password", "secret_key", "link_secret", "database_url"}


def _token(row: ApiToken) -> TokenPublic:
    return TokenPublic.model_validate(row, from_attributes=True)


@router.get(
    "/tokens",
    response_model=list[TokenPublic],
    responses={
        200: {
            "description": "Every token",
            "links": {
                "RevokeFirst": {
                    "operationRef": "#/paths/~1tokens~1{token_id}/delete",
                    "parameters": {"token_id": "$response.body#/0/id"},
                    "description": "Revoke the first token listed.",
                }
            },
        }
    },
)
def read_tokens(
    session: SessionDep, person: Admin, person_id: str | None = None
) -> list[TokenPublic]:
    """Every token's number, owner and dates; never the token, which is not kept."""
    return [_token(row) for row in tokens_of(session, person_id)]


@router.post("/tokens", response_model=TokenCreated, status_code=201, responses=responses(404))
def create_token(
    body: TokenCreate, request: Request, session: SessionDep, person: Admin
) -> TokenCreated:
    """A new token for a person, shown once; the audit trail names its owner and number."""
    try:
        token, row = issue_token(session, body.person_id, body.label, body.expires_at)
    except LookupError:
        raise ApiError(404, "no_person", person=body.person_id) from None
    request.state.audit_target = f"token/{row.id}"
    return TokenCreated(**_token(row).model_dump(), token=token)


@router.delete("/tokens/{token_id}", response_model=TokenPublic, responses=responses(404))
def delete_token(
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    request: Request,
    session: SessionDep,
    person: Admin,
) -> TokenPublic:
    """Revoke a token; it stops working at once here, within a second on every replica."""
    row = revoke_token(session, token_id)
    if row is None:
        raise ApiError(404, "no_token", token=token_id)
    request.app.state.caches.tokens.forget()
    return _token(row)


@router.get("/settings", response_model=dict[str, Any])
def read_settings(request: Request, person: Admin) -> dict[str, Any]:
    """The settings this API runs with, secrets left out."""
    settings = request.app.state.settings.model_dump(mode="json")
    return {
        name: value
        for name, value in settings.items()
        if name not in SECRET_SETTINGS and "password" not in name and "secret" not in name
    }
