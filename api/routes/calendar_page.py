"""The page where a person gets the private address of their calendar feed, or revokes it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.routes.calendar_feed import feed_url_for, webcal_url
from api.routes.task_pages import locale_of, zone_of
from api.web import csrf_ok, gate, page
from domain.model import Role
from notifications import formatting
from services.feeds import current_feed, issue_feed, revoke_feed
from store.tables import Person

router = APIRouter(
    prefix="/app/calendar",
    tags=["pages"],
    responses={303: {"description": "not signed in: to the sign-in page, then back"}},
)
Anyone = Annotated[Person, gate(*Role, scope="their own calendar feed")]
Csrf = Annotated[str, Form(max_length=100)]


def _render(request: Request, person: Person, url: str | None = None, done: str | None = None):  # type: ignore[no-untyped-def]
    with request.app.state.sessions() as session:
        locale = locale_of(person, session)
        feed = current_feed(session, person.id)
        zone = zone_of(session)
    return page(
        request,
        "calendar.html",
        person,
        locale=locale,
        url=url,
        webcal=webcal_url(url) if url else None,
        active_text=formatting.when(feed.created_at, zone, locale) if feed else None,
        outcome=done,
    )


@router.get("", response_class=HTMLResponse)
def read_calendar_page(request: Request, person: Anyone, done: str | None = None) -> Response:
    """Whether the person's feed address is active, and the buttons to make or revoke one."""
    return _render(request, person, done=done)  # type: ignore[no-any-return]


@router.post("", response_class=HTMLResponse)
def make_calendar_feed(request: Request, person: Anyone, csrf: Csrf = "") -> Response:
    """A new feed address, shown this once; the one before stops working."""
    if not csrf_ok(request, csrf):
        return RedirectResponse("/app/calendar", status_code=303)
    with request.app.state.sessions() as session:
        secret, row = issue_feed(session, person.id)
    request.state.audit_target = f"calendar_feed/{row.id}"
    return _render(request, person, url=feed_url_for(request, secret))  # type: ignore[no-any-return]


@router.post("/revoke", response_class=HTMLResponse)
def revoke_calendar_feed(request: Request, person: Anyone, csrf: Csrf = "") -> Response:
    """Revoke the feed address: subscribed calendars get nothing more."""
    if csrf_ok(request, csrf):
        with request.app.state.sessions() as session:
            revoke_feed(session, person.id)
        return RedirectResponse("/app/calendar?done=revoked", status_code=303)
    return RedirectResponse("/app/calendar", status_code=303)
