"""What every page shares: who is signed in, the session cookie, CSRF, the locale, rendering.

The session cookie holds a random id whose digest is a row (services/tokens.py): HttpOnly,
SameSite=Lax so a link from an email arrives signed in, Secure whenever Boucle is reached over
https. Every form a page serves carries a CSRF token derived from the session; a POST whose
token or Origin is not Boucle's is refused before anything happens.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.access import Rule
from api.deps import person_of_token
from api.page_text import TEXT, locale_for
from api.templating import PAGES
from domain.model import Role
from services.tokens import PAGE_SESSION_LIFETIME, page_session_person
from store.tables import Organisation, Person

COOKIE = "boucle_session"
SIGN_IN = "/app/sign-in"


def secure(request: Request) -> bool:
    """Cookies are Secure whenever people reach Boucle over https, behind a proxy too."""
    public = str(request.app.state.settings.public_url)
    return request.url.scheme == "https" or public.startswith("https://")


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        max_age=int(PAGE_SESSION_LIFETIME.total_seconds()),
        path="/",
    )


def same_origin(request: Request) -> bool:
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


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser's session: an HMAC of its cookie, nothing stored."""
    secret = request.cookies.get(COOKIE, "")
    key = str(request.app.state.settings.link_secret).encode()
    return hmac.new(key, f"csrf|{secret}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(request: Request, sent: str) -> bool:
    """Whether a form's POST is Boucle's own; a program's bearer token needs no form."""
    if _bearer(request) is not None:
        return True  # no ambient credential: another site cannot make a browser send one
    return (
        bool(request.cookies.get(COOKIE))
        and hmac.compare_digest(csrf_token(request), sent)
        and same_origin(request)
    )


async def signed_in(request: Request) -> Person | None:
    """The person behind this browser's session cookie, if it is live."""
    secret = request.cookies.get(COOKIE)
    if not secret:
        return None

    def lookup() -> Person | None:
        with request.app.state.sessions() as session:
            return page_session_person(session, secret)

    person = await run_in_threadpool(lookup)
    if person is not None:
        request.state.actor = person.id
    return person


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of Boucle's own, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/app/tasks"
    return target[:500]


def to_sign_in(request: Request) -> RedirectResponse:
    """Sign in first, then back to the page asked for."""
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{SIGN_IN}?next={quote(wanted, safe='/?=')}", status_code=303)


def page(
    request: Request,
    template: str,
    person: Person | None,
    status: int = 200,
    locale: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page in the person's language, with the layout's navigation and CSRF token."""
    with request.app.state.sessions() as session:
        organisation = session.get(Organisation, 1)
    chosen = locale or locale_for(person, organisation)
    html = PAGES.get_template(template).render(
        t=TEXT[chosen],
        locale=chosen,
        person=person,
        organisation=organisation.name if organisation else "Boucle",
        csrf=csrf_token(request) if person is not None else "",
        **context,
    )
    return HTMLResponse(html, status_code=status)


class PageRefused(Exception):
    """A page's gate answered instead of the page: to the sign-in page, or a 403 page."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


async def visitor(request: Request) -> Person | None:
    """Who asks: a program's bearer token, or a browser's session cookie."""
    token = _bearer(request)
    if token is not None:
        return await person_of_token(request, token)
    return await signed_in(request)


def gate(*roles: Role, scope: str) -> Any:
    """A page dependency: the signed-in person of one of `roles`, else sign in or a 403 page."""

    async def check(request: Request) -> Person:
        person = await visitor(request)
        if person is None:
            raise PageRefused(to_sign_in(request))
        if person.role not in roles:
            refused = await run_in_threadpool(
                page,
                request,
                "message.html",
                person,
                403,
                title_key="refused_title",
                text_key="not_yours",
            )
            raise PageRefused(refused)
        return person

    check.rule = Rule(roles, scope)  # type: ignore[attr-defined]
    return Depends(check)


async def _refused(request: Request, refusal: Exception) -> Response:
    assert isinstance(refusal, PageRefused)
    return refusal.response


def install(app: FastAPI) -> None:
    app.add_exception_handler(PageRefused, _refused)
