"""The dashboard's login form: from a page it served, a valid token opens a page session.

The form answers only to itself: a form key, in a SameSite=Strict cookie and a hidden field,
and the browser's Origin or Referer when it sends one, so no other site can log someone in.
The page session's cookie holds no API token: the one every page uses (api/web.py), eight
hours at most, ended at logout, when idle, or with its token or person.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from api.access import Rule
from api.deps import person_of_token
from api.templating import PAGES
from api.web import COOKIE, set_session_cookie
from services.tokens import close_page_session, open_page_session

LOGIN_COOKIE = "boucle_login"  # the login form's key, as the form carries it too
FOREIGN_FORM = "Ce formulaire de connexion a expiré ou ne vient pas de Boucle : rechargez la page."

login_router: APIRouter = APIRouter(
    tags=["pages"],
    responses={
        403: {"description": "not the form this page served", "content": {"text/html": {}}},
    },
)


async def _public() -> None:
    return None


_public.rule = Rule(  # type: ignore[attr-defined]
    (), "the login form, from a page it served: a valid token opens a page session"
)


async def _ending() -> None:
    return None


_ending.rule = Rule((), "ends the page session its cookie names")  # type: ignore[attr-defined]


def _secure(request: Request) -> bool:
    """Cookies are Secure whenever people reach Boucle over https, behind a proxy too."""
    public = str(request.app.state.settings.public_url)
    return request.url.scheme == "https" or public.startswith("https://")


def login_form(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
    key = secrets.token_urlsafe(32)
    page = PAGES.get_template("login.html").render(organisation="Boucle", error=error, key=key)
    response = HTMLResponse(page, status_code=status)
    response.set_cookie(
        LOGIN_COOKIE,
        key,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=3600,
        path="/dashboard/login",
    )
    return response


def _same_origin(request: Request) -> bool:
    """Whether the browser says the form came from Boucle (it may say nothing)."""
    allowed = {f"{request.url.scheme}://{request.url.netloc}"}
    public = urlsplit(str(request.app.state.settings.public_url))
    if public.scheme and public.netloc:
        allowed.add(f"{public.scheme}://{public.netloc}")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin in allowed  # "null" (a sandboxed or privacy-stripped page) is not
    referer = urlsplit(request.headers.get("referer", ""))
    return not referer.netloc or f"{referer.scheme}://{referer.netloc}" in allowed


@login_router.get("/dashboard/login", response_class=HTMLResponse, dependencies=[Depends(_public)])
def login_page(request: Request) -> HTMLResponse:
    return login_form(request)


@login_router.post(
    "/dashboard/login",
    response_class=HTMLResponse,
    dependencies=[Depends(_public)],
    responses={
        303: {"description": "to the dashboard"},
        401: {"content": {"text/html": {}}},
    },
)
async def log_in(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    form_key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Open a page session for a valid token, from the form this page served."""
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not (expected and hmac.compare_digest(expected, form_key) and _same_origin(request)):
        return login_form(request, FOREIGN_FORM, 403)
    person = await person_of_token(request, token.strip())
    bearer = getattr(request.state, "bearer", None)
    if person is None or bearer is None:
        return login_form(request, "Jeton inconnu, révoqué ou expiré.", 401)

    def open_session() -> tuple[str, datetime]:
        with request.app.state.sessions() as session:
            secret, row = open_page_session(session, bearer)
            return secret, row.expires_at

    secret, _ = await run_in_threadpool(open_session)
    response = RedirectResponse("/dashboard", status_code=303)
    set_session_cookie(request, response, secret)
    response.delete_cookie(LOGIN_COOKIE, path="/dashboard/login")
    return response


@login_router.post(
    "/dashboard/logout",
    response_class=HTMLResponse,
    dependencies=[Depends(_ending)],
    responses={303: {"description": "to the login page"}},
)
async def log_out(request: Request) -> Response:
    """End the page session: its cookie opens nothing any more."""
    secret = request.cookies.get(COOKIE)
    if secret and _same_origin(request):

        def close() -> None:
            with request.app.state.sessions() as session:
                row = close_page_session(session, secret)
                if row is not None:
                    request.state.actor = row.person_id

        await run_in_threadpool(close)
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
