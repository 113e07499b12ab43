"""Signing in through the organisation's OpenID Connect provider (its own, or ProConnect).

The authorization code flow with PKCE: the state, nonce and code verifier travel in a signed,
ten-minute, HttpOnly cookie scoped to these two routes, so nothing is stored before the person
comes back. authlib exchanges the code and checks the ID token (signature by the provider's
JWKS, issuer, audience, nonce, expiry); the `email` claim, unless the provider says it is not
verified, names an active person, who gets the same page session as an emailed link opens.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import time
import warnings
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import func
from sqlmodel import select

from api.access import anyone
from api.routes.sign_in import _sign_in_page
from api.web import safe_next, secure, set_session_cookie, signed_in
from services.settings import Settings
from services.tokens import open_person_session
from store.tables import Person

with warnings.catch_warnings():  # authlib warns it prefers httpx2; httpx is Boucle's client
    import authlib.deprecate  # its "always" filter first, so that this one goes before it

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App

PREFIX = "/app/sign-in/oidc"
CALLBACK = f"{PREFIX}/callback"
FLOW_COOKIE = "boucle_oidc"
FLOW_LIFETIME = 600  # seconds from the button to the provider's answer
log = logging.getLogger(__name__)
HTTP_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError,)
with contextlib.suppress(ImportError):  # the client authlib prefers, once installed
    import httpx2

    HTTP_ERRORS += (httpx2.HTTPError,)
UNREACHABLE: tuple[type[Exception], ...] = (*HTTP_ERRORS, ValueError)  # or not JSON
UNVERIFIED: tuple[type[Exception], ...] = (
    AuthlibBaseError,
    JoseError,
    *HTTP_ERRORS,
    KeyError,
    ValueError,
)

router = APIRouter(
    prefix=PREFIX,
    tags=["pages"],
    dependencies=[
        anyone("signing in: the organisation's OpenID Connect provider vouches for the email")
    ],
    responses={
        status: {"description": description, "content": {"text/html": {}}}
        for status, description in (
            (400, "the provider refused, or its answer is not the one this browser waited for"),
            (403, "the address the provider gave is unverified or no active person's"),
            (404, "OpenID Connect sign-in is not configured"),
            (502, "the provider is unreachable or its answer cannot be verified"),
        )
    },
)


class FlowRefused(Exception):
    """A sign-in through the provider that stops, with the page text key saying why."""

    def __init__(self, reason: str, status: int, email: str = "") -> None:
        super().__init__(reason)
        self.reason, self.status, self.email = reason, status, email


def _provider(request: Request) -> StarletteOAuth2App:
    """The app's client of the provider: its discovery and keys, read once, kept."""
    client: StarletteOAuth2App | None = getattr(request.app.state, "oidc", None)
    if client is None:
        settings: Settings = request.app.state.settings
        assert settings.oidc_client_secret is not None
        registry = OAuth()
        client = registry.register(
            "oidc",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret.get_secret_value(),
            server_metadata_url=(
                f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration"
            ),
            client_kwargs={
                "scope": settings.oidc_scopes,
                "code_challenge_method": "S256",
                "timeout": 10,
            },
        )
        request.app.state.oidc = client
    return client


async def _metadata(client: StarletteOAuth2App, settings: Settings) -> dict[str, Any]:
    """The provider's discovery, checked to be the issuer's own, the way to authenticate set."""
    try:
        metadata: dict[str, Any] = await client.load_server_metadata()
    except UNREACHABLE as error:
        log.warning("OpenID provider discovery failed: %s", error)
        raise FlowRefused("oidc_down", 502) from None
    if str(metadata.get("issuer", "")).rstrip("/") != settings.oidc_issuer.rstrip("/"):
        client.server_metadata.clear()  # read again next time: it may be a passing misroute
        log.warning("OpenID discovery names issuer %r", metadata.get("issuer"))
        raise FlowRefused("oidc_failed", 502)
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    chosen = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
    client.client_kwargs["token_endpoint_auth_method"] = chosen
    return metadata


def _key(settings: Settings) -> bytes:
    return hmac.new(settings.link_secret.encode(), b"oidc-flow", hashlib.sha256).digest()


def _seal(settings: Settings, flow: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(flow, separators=(",", ":")).encode()).decode()
    mac = hmac.new(_key(settings), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def _unseal(settings: Settings, sealed: str | None) -> dict[str, Any]:
    """The flow this browser started here, unaltered and recent, or FlowRefused."""
    body, _, mac = (sealed or "").partition(".")
    expected = hmac.new(_key(settings), body.encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(expected, mac):
        raise FlowRefused("oidc_expired", 400)
    flow: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body))
    if float(flow.get("expires", 0)) < time.time():
        raise FlowRefused("oidc_expired", 400)
    return flow


def _refused(request: Request, refusal: FlowRefused, next_page: str = "/app/tasks") -> Response:
    shown = _sign_in_page(request, next_page, refusal.reason, refusal.status, refusal.email)
    shown.delete_cookie(FLOW_COOKIE, path=PREFIX)
    return shown


@router.get(
    "/start",
    response_class=HTMLResponse,
    responses={302: {"description": "to the provider's sign-in"}},
)
async def start_oidc_sign_in(
    request: Request, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    """Send the browser to the provider, remembering the flow in a signed cookie."""
    settings: Settings = request.app.state.settings
    target = safe_next(next)
    if not settings.oidc_enabled:
        return await run_in_threadpool(_refused, request, FlowRefused("oidc_off", 404), target)
    if await signed_in(request) is not None:
        return RedirectResponse(target, status_code=303)
    client = _provider(request)
    try:
        await _metadata(client, settings)
        flow = await client.create_authorization_url(
            f"{settings.base_url}{CALLBACK}",
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
        )
    except FlowRefused as refusal:
        return await run_in_threadpool(_refused, request, refusal, target)
    except (RuntimeError, KeyError) as error:  # a discovery without an authorization endpoint
        log.warning("OpenID sign-in cannot start: %s", error)
        return await run_in_threadpool(_refused, request, FlowRefused("oidc_failed", 502), target)
    response = RedirectResponse(flow["url"], status_code=302)
    sealed = {
        "state": flow["state"],
        "nonce": flow["nonce"],
        "verifier": flow["code_verifier"],
        "next": target,
        "expires": time.time() + FLOW_LIFETIME,
    }
    response.set_cookie(
        FLOW_COOKIE,
        _seal(settings, sealed),
        max_age=FLOW_LIFETIME,
        path=PREFIX,
        httponly=True,
        samesite="lax",  # the provider's redirect back is a top-level cross-site navigation
        secure=secure(request),
    )
    return response


async def _claims(
    client: StarletteOAuth2App, settings: Settings, flow: dict[str, Any], code: str
) -> dict[str, Any]:
    """The verified claims about who signed in: the ID token's, with the userinfo's."""
    metadata = await _metadata(client, settings)
    try:
        token = await client.fetch_access_token(
            f"{settings.base_url}{CALLBACK}", code=code, code_verifier=flow["verifier"]
        )
        if "id_token" not in token:
            raise FlowRefused("oidc_failed", 502)
        identity = dict(
            await client.parse_id_token(
                token,
                nonce=flow["nonce"],
                claims_options={
                    "iss": {"essential": True, "values": [metadata["issuer"]]},
                    "aud": {"essential": True, "values": [settings.oidc_client_id]},
                    "nonce": {"essential": True, "values": [flow["nonce"]]},
                },
            )
        )
        if "email" not in identity and metadata.get("userinfo_endpoint"):
            described = await _userinfo(client, metadata, token, settings)
            if described.get("sub") != identity.get("sub"):
                raise FlowRefused("oidc_failed", 502)  # OIDC core 5.3.2: another person
            identity |= described
    except UNVERIFIED as error:
        log.warning("OpenID sign-in refused: %s", error)
        raise FlowRefused("oidc_failed", 502) from None
    return identity


async def _userinfo(
    client: StarletteOAuth2App, metadata: dict[str, Any], token: dict[str, Any], settings: Settings
) -> dict[str, Any]:
    """The userinfo endpoint's claims, JSON or a JWT signed by the provider (ProConnect)."""
    answer = await client.get(metadata["userinfo_endpoint"], token=token)
    answer.raise_for_status()
    if not answer.headers.get("content-type", "").startswith("application/jwt"):
        described: dict[str, Any] = answer.json()
        return described
    keys = KeySet.import_key_set(await client.fetch_jwk_set())
    signed = jwt.decode(answer.text, keys)
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": settings.oidc_client_id},
    ).validate(signed.claims)
    return dict(signed.claims)


def _active_person(request: Request, email: str) -> str | None:
    with request.app.state.sessions() as session:
        row = session.exec(
            select(Person).where(
                func.lower(Person.email) == email.lower(),
                Person.active == True,  # noqa: E712
            )
        ).first()
        return row.id if row else None


def _open_session(request: Request, person_id: str, target: str) -> Response:
    with request.app.state.sessions() as session:
        secret, _ = open_person_session(session, person_id)
    request.state.actor = person_id
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, secret)
    response.delete_cookie(FLOW_COOKIE, path=PREFIX)
    return response


@router.get(
    "/callback",
    response_class=HTMLResponse,
    responses={303: {"description": "signed in: to the page asked for"}},
)
async def finish_oidc_sign_in(
    request: Request,
    code: Annotated[str, Query(max_length=2000)] = "",
    state: Annotated[str, Query(max_length=500)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
    iss: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Where the provider sends the browser back: check its answer, then open a page session."""
    settings: Settings = request.app.state.settings
    target = "/app/tasks"
    try:
        if not settings.oidc_enabled:
            raise FlowRefused("oidc_off", 404)
        flow = _unseal(settings, request.cookies.get(FLOW_COOKIE))
        target = safe_next(flow.get("next"))
        if not state or not hmac.compare_digest(state.encode(), str(flow["state"]).encode()):
            raise FlowRefused("oidc_state", 400)
        if iss is not None and iss.rstrip("/") != settings.oidc_issuer.rstrip("/"):
            raise FlowRefused("oidc_state", 400)  # RFC 9207: an answer from another provider
        if error or not code:
            log.info("OpenID provider answered %s", error or "without a code")
            raise FlowRefused("oidc_denied", 400)
        claims = await _claims(_provider(request), settings, flow, code)
        email = str(claims.get("email") or "").strip()
        if not email:
            raise FlowRefused("oidc_failed", 502)
        if claims.get("email_verified") in (False, "false"):
            raise FlowRefused("oidc_unverified", 403, email)
        person_id = await run_in_threadpool(_active_person, request, email)
        if person_id is None:
            raise FlowRefused("oidc_unknown", 403, email)
    except FlowRefused as refusal:
        return await run_in_threadpool(_refused, request, refusal, target)
    return await run_in_threadpool(_open_session, request, person_id, target)
