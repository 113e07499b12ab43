"""Dependencies: settings, sessions, the Temporal client and the current person."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from temporalio.client import Client

from api.cache import TtlCache
from boucle.tokens import digest, person_for
from store.tables import Person

bearer = HTTPBearer(auto_error=False, description="A token from `boucle token create PERSON`")


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


async def get_temporal(request: Request) -> Client:
    client: Client | None = request.app.state.temporal
    if client is None:
        client = await request.app.state.connect_temporal()
    if client is None:
        raise HTTPException(503, "the workflow engine is not reachable")
    return client


SessionDep = Annotated[Session, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]


# A revoked token stops working within this many seconds.
TOKEN_CACHE = TtlCache[Person | None](ttl=10.0)


async def current_person(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Person:
    """The one place a request becomes a person (tokens today, OpenID Connect later)."""
    if credentials is None:
        raise HTTPException(
            401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    token = credentials.credentials

    def lookup() -> Person | None:
        with request.app.state.sessions() as session:
            return person_for(session, token)

    person = await TOKEN_CACHE.get(digest(token), lambda: run_in_threadpool(lookup))
    if person is None:
        raise HTTPException(
            401, "unknown, revoked or expired token", headers={"WWW-Authenticate": "Bearer"}
        )
    return person


CurrentPerson = Annotated[Person, Depends(current_person)]
