"""Private calendar feeds: the secret URL is the credential, so a calendar client polls it
with nothing else; a person makes (or replaces) their URL and revokes it with their token."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel

from api.access import Anybody, anyone
from api.deps import SessionDep
from api.errors import responses
from services.feeds import current_feed, feed_text, issue_feed, person_of_feed, revoke_feed
from services.settings import Settings

router = APIRouter(tags=["calendar feed"])
CALENDAR = "text/calendar; charset=utf-8"
# The feed changes when a task does; a client polling every hour is asked no more often.
FEED_HEADERS = {
    "Cache-Control": "private, max-age=900",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


class CalendarFeedCreated(BaseModel):
    """A new feed's URL, shown this once: copy it into a calendar application."""

    url: str
    webcal_url: str
    created_at: datetime


class CalendarFeedStatus(BaseModel):
    """Whether the person has a live feed (its URL is not kept, so it is never shown again)."""

    active: bool
    created_at: datetime | None = None


def feed_url_for(source: Request | Settings, secret: str) -> str:
    """The public URL of the feed a secret opens (https:// or http://, as the API is served)."""
    settings = source.app.state.settings if isinstance(source, Request) else source
    return f"{settings.base_url.rstrip('/')}/calendar/{secret}.ics"


def webcal_url(url: str) -> str:
    """The same feed as a webcal:// link, which calendar applications open to subscribe."""
    return "webcal://" + url.split("://", 1)[-1]


NOT_FOUND = "Aucun calendrier à cette adresse (lien révoqué ou remplacé).\n"


@router.get(
    "/calendar/{secret}.ics",
    response_class=Response,
    dependencies=[anyone("the secret URL is the credential: one person's feed, until revoked")],
    responses={
        200: {"description": "The person's tasks and events", "content": {"text/calendar": {}}},
        304: {"description": "unchanged since the ETag given in If-None-Match"},
        404: {"description": "unknown, revoked or replaced feed", "content": {"text/plain": {}}},
    },
)
def read_calendar_feed(
    secret: Annotated[str, Path(max_length=100)], request: Request, session: SessionDep
) -> Response:
    """A person's tasks and events as an iCalendar feed (RFC 5545) to subscribe to."""
    person = person_of_feed(session, secret)
    if person is None:
        return PlainTextResponse(NOT_FOUND, status_code=404, headers=FEED_HEADERS)
    body = feed_text(session, person).encode("utf-8")
    # The text changes only when a task does: a client asking again is told it has it.
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {**FEED_HEADERS, "ETag": tag}
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="boucle.ics"'
    return Response(body, media_type=CALENDAR, headers=headers)


@router.post(
    "/me/calendar-feed",
    response_model=CalendarFeedCreated,
    status_code=201,
    responses=responses(401, 403),
)
def create_calendar_feed(
    request: Request, session: SessionDep, person: Anybody
) -> CalendarFeedCreated:
    """A new private feed URL for me, shown once; the URL I had before stops working."""
    secret, row = issue_feed(session, person.id)
    request.state.audit_target = f"calendar_feed/{row.id}"
    url = feed_url_for(request, secret)
    return CalendarFeedCreated(url=url, webcal_url=webcal_url(url), created_at=row.created_at)


@router.delete(
    "/me/calendar-feed", response_model=CalendarFeedStatus, responses=responses(401, 403)
)
def delete_calendar_feed(session: SessionDep, person: Anybody) -> CalendarFeedStatus:
    """Revoke my feed URL: calendars subscribed to it get nothing more."""
    revoke_feed(session, person.id)
    return CalendarFeedStatus(active=current_feed(session, person.id) is not None)
