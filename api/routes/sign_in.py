"""Signing in by email: a person types their address and follows the link Boucle sends.

The link is signed, lasts 15 minutes and works once; following it shows a button (mail
scanners open links, only a person presses it), which opens a page session and goes back to
the page the person asked for. Every answer to an address is the same, known or not.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError

from api.access import anyone
from api.deps import get_temporal
from api.errors import ApiError
from api.web import (
    COOKIE,
    SIGN_IN,
    csrf_ok,
    page,
    safe_next,
    same_origin,
    set_session_cookie,
    signed_in,
)
from notifications.links import LinkClaim, LinkError, link_digest, verify_link
from services.tokens import close_page_session, open_person_session
from store.tables import Person, UsedLink
from workflows.sign_in import SIGN_IN_LIFETIME, SignInInput, SignInWorkflow, sign_in_workflow_id

SIGN_IN_ACTION = "sign-in"
FORM_COOKIE = "boucle_form"  # the sign-in forms' key, as each form carries it too
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")

router = APIRouter(
    tags=["pages"],
    dependencies=[anyone("signing in: the emailed link is the credential, once, 15 minutes")],
    responses={
        status: {"description": description, "content": {"text/html": {}}}
        for status, description in (
            (400, "the sign-in link is not valid, altered or expired"),
            (403, "not a form this page served"),
            (409, "the sign-in link was already used"),
            (503, "the workflow engine is unreachable: the email could not be queued"),
        )
    },
)


def _form_key(request: Request, response: Response) -> str:
    key = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(32)
    response.set_cookie(
        FORM_COOKIE, key, httponly=True, samesite="strict", max_age=3600, path=SIGN_IN
    )
    return key


def _form_ok(request: Request, sent: str) -> bool:
    expected = request.cookies.get(FORM_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected, sent) and same_origin(request)


def _sign_in_page(
    request: Request, next_page: str, error: str | None = None, status: int = 200, email: str = ""
) -> HTMLResponse:
    settings = request.app.state.settings
    response = HTMLResponse("")
    key = _form_key(request, response)
    shown = page(
        request,
        "sign_in.html",
        None,
        status,
        next=next_page,
        key=key,
        error=error,
        email=email,
        providers=[settings.oidc_name] if settings.oidc_enabled else [],
    )
    shown.raw_headers.extend(h for h in response.raw_headers if h[0] == b"set-cookie")
    return shown


@router.get("/app/sign-in", response_class=HTMLResponse)
async def sign_in_form(
    request: Request, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    """The sign-in form: an email address; already signed in, straight to the page."""
    target = safe_next(next)
    if await signed_in(request) is not None:
        return RedirectResponse(target, status_code=303)
    return await run_in_threadpool(_sign_in_page, request, target)


@router.post(
    "/app/sign-in",
    response_class=HTMLResponse,
    responses={
        422: {
            "description": "not an email address",
            "content": {"text/html": {}, "application/problem+json": {}},
        }
    },
)
async def ask_for_link(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
    form_key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Send a sign-in link to the person with this address, if there is one."""
    target = safe_next(next)
    address = email.strip()
    if not _form_ok(request, form_key):
        return await run_in_threadpool(_sign_in_page, request, target, "form_expired", 403, address)
    if not EMAIL.fullmatch(address):
        return await run_in_threadpool(
            _sign_in_page, request, target, "email_invalid", 422, address
        )

    def find() -> str | None:
        with request.app.state.sessions() as session:
            row = session.exec(
                select(Person).where(
                    func.lower(Person.email) == address.lower(),
                    Person.active == True,  # noqa: E712
                )
            ).first()
            return row.id if row else None

    person_id = await run_in_threadpool(find)
    if person_id is not None:
        nonce = secrets.token_hex(16)
        expires = datetime.now(UTC).replace(microsecond=0) + SIGN_IN_LIFETIME
        try:
            temporal = await get_temporal(request)
            await temporal.start_workflow(
                SignInWorkflow.run,
                SignInInput(
                    person=person_id, nonce=nonce, expires_at=expires.isoformat(), next=target
                ),
                id=sign_in_workflow_id(nonce),
                task_queue=request.app.state.settings.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except (ApiError, RPCError):
            return await run_in_threadpool(
                _sign_in_page, request, target, "engine_down", 503, address
            )
        request.state.actor = person_id
    return await run_in_threadpool(lambda: page(request, "link_sent.html", None, email=address))


def _claim(request: Request, token: str) -> LinkClaim | None:
    try:
        claim = verify_link(str(request.app.state.settings.link_secret), token, datetime.now(UTC))
    except LinkError:
        return None
    return claim if claim.action == SIGN_IN_ACTION else None


def _bad_link(request: Request, reason: str, status: int) -> HTMLResponse:
    return page(request, "link_bad.html", None, status, reason=reason)


Token = Annotated[str, PathParam(max_length=2000)]


@router.get("/app/sign-in/{token}", response_class=HTMLResponse)
def confirm_sign_in(request: Request, token: Token) -> Response:
    """What the emailed link opens: who is signing in, and the button that does it.

    A used or expired link is a page too (an email is clicked again days later): it says so
    and offers a new link.
    """
    claim = _claim(request, token)
    if claim is None:
        return _bad_link(request, "link_invalid", 200)
    with request.app.state.sessions() as session:
        person = session.get(Person, claim.person)
        used = session.get(UsedLink, link_digest(token)) is not None
    if person is None or not person.active:
        return _bad_link(request, "link_invalid", 200)
    if used:
        return _bad_link(request, "link_used", 200)
    response = HTMLResponse("")
    key = _form_key(request, response)
    shown = page(request, "sign_in_confirm.html", None, name=person.name, key=key)
    shown.raw_headers.extend(h for h in response.raw_headers if h[0] == b"set-cookie")
    return shown


@router.post(
    "/app/sign-in/{token}",
    response_class=HTMLResponse,
    responses={303: {"description": "signed in: to the page asked for"}},
)
def use_sign_in_link(
    request: Request, token: Token, form_key: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Open a page session with the link, once, and go to the page it was asked for."""
    if not _form_ok(request, form_key):
        return _bad_link(request, "form_expired", 403)
    claim = _claim(request, token)
    if claim is None:
        return _bad_link(request, "link_invalid", 400)
    with request.app.state.sessions() as session:
        person = session.get(Person, claim.person)
        if person is None or not person.active:
            return _bad_link(request, "link_invalid", 400)
        session.add(
            UsedLink(
                digest=link_digest(token),
                person_id=person.id,
                task_id=SIGN_IN_ACTION,
                used_at=datetime.now(UTC),
            )
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return _bad_link(request, "link_used", 409)
        secret, _ = open_person_session(session, person.id)
    request.state.actor = person.id
    response = RedirectResponse(safe_next(claim.task), status_code=303)
    set_session_cookie(request, response, secret)
    response.delete_cookie(FORM_COOKIE, path=SIGN_IN)
    return response


@router.post(
    "/app/sign-out",
    response_class=HTMLResponse,
    responses={303: {"description": "to the sign-in page"}},
)
def sign_out(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """End this browser's session: its cookie opens nothing any more."""
    secret = request.cookies.get(COOKIE)
    if secret and csrf_ok(request, csrf):
        with request.app.state.sessions() as session:
            row = close_page_session(session, secret)
            if row is not None:
                request.state.actor = row.person_id
    response = RedirectResponse(SIGN_IN, status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
