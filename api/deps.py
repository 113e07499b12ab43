"""Dependencies: settings, sessions, the Temporal client and the current person."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from temporalio.client import Client

from api.errors import ApiError
from services.tokens import Bearer, bearer_for, digest, looks_like_token
from store.access import access_revision
from store.tables import Person

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerToken",
    description="A personal token from `boucle token create PERSON` (or `POST /tokens`).",
)


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


async def get_temporal(request: Request) -> Client:
    client: Client | None = request.app.state.temporal
    if client is None:
        client = await request.app.state.connect_temporal()
    if client is None:
        raise ApiError(503, "temporal_down")
    return client


SessionDep = Annotated[Session, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]


CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def person_of_token(request: Request, token: str) -> Person | None:
    """The one place a token becomes a person (tokens today, OpenID Connect later)."""
    if not looks_like_token(token):
        return None
    sessions = request.app.state.sessions

    def revision() -> int:
        with sessions() as session:
            return access_revision(session)

    def lookup() -> tuple[int, Bearer | None]:
        with sessions() as session:
            # The revision first: an answer is only ever as old as the revision it is filed under.
            return access_revision(session), bearer_for(session, token)

    found = await request.app.state.caches.tokens.get(
        digest(token), lambda: run_in_threadpool(revision), lambda: run_in_threadpool(lookup)
    )
    if found is not None:
        request.state.bearer = found  # the audit trail records who and with which token
    return found.person if found else None


async def current_person(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Person:
    """The person behind the request's bearer token, or 401."""
    if credentials is None:
        raise ApiError(401, "token_required", headers=CHALLENGE)
    person = await person_of_token(request, credentials.credentials)
    if person is None:
        raise ApiError(401, "token_invalid", headers=CHALLENGE)
    return person


CurrentPerson = Annotated[Person, Depends(current_person)]
