"""Signing in through a real OpenID provider: the npm package oidc-provider, started here.

A browser (httpx, following redirects, keeping cookies) presses "Se connecter avec ProConnect"
on the sign-in page of Boucle served by uvicorn; the provider logs in the account the test
chose and sends the browser back; Boucle checks the answer and opens a session, or says why
not on its sign-in page. Skipped, with the reason, where Node.js is missing or npm cannot
install the provider.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
import pytest_asyncio
import uvicorn

from api.main import create_app
from services.settings import Settings, get_settings, problems
from tests.engine.support import store_with
from tests.integration.conftest import free_port
from tests.plans import plan_with

PROVIDER = Path(__file__).resolve().parents[1] / "oidc"
NPM_FILES = ("package.json", "package-lock.json")
CLIENT_ID = "boucle-test"
ACCOUNTS = {
    "paul": {"email": "Paul.Durand@Example.org", "email_verified": True, "name": "Paul Durand"},
    "stranger": {"email": "inconnu@example.org", "email_verified": True},
    "unverified": {"email": "claire.martin@example.org", "email_verified": False},
}
ITEMS = '- {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15"}'


def oidc_settings(**given: Any) -> Settings:
    return Settings(
        **{
            "oidc_issuer": "https://auth.example.gouv.fr/api/v2",
            "oidc_client_id": "boucle",
            "oidc_client_secret": "ne-pas-afficher",
            "oidc_name": "ProConnect",
            **given,
        }
    )


def test_oidc_settings_are_all_or_none() -> None:
    assert problems(Settings()) == []
    assert problems(oidc_settings()) == []
    assert oidc_settings().oidc_enabled and not Settings().oidc_enabled
    partial = oidc_settings(oidc_client_secret=None, oidc_name="")
    assert problems(partial) == [
        "OpenID Connect sign-in needs BOUCLE_OIDC_ISSUER, BOUCLE_OIDC_CLIENT_ID, "
        "BOUCLE_OIDC_CLIENT_SECRET, BOUCLE_OIDC_NAME together: BOUCLE_OIDC_CLIENT_SECRET, "
        "BOUCLE_OIDC_NAME are missing (or unset them all to sign in by emailed link only)"
    ]
    assert not partial.oidc_enabled
    lone = problems(Settings(oidc_client_id="boucle"))[0]
    assert "BOUCLE_OIDC_ISSUER, BOUCLE_OIDC_CLIENT_SECRET, BOUCLE_OIDC_NAME are missing" in lone


def test_oidc_settings_that_could_never_sign_in_are_refused() -> None:
    assert problems(oidc_settings(oidc_issuer="http://idp.example.org")) == [
        "BOUCLE_OIDC_ISSUER 'http://idp.example.org' is not an https URL (http only on "
        "localhost): the provider's discovery is read at {issuer}/.well-known/"
        "openid-configuration"
    ]
    assert problems(oidc_settings(oidc_issuer="http://127.0.0.1:8080")) == []
    assert problems(oidc_settings(oidc_scopes="openid profile")) == [
        "BOUCLE_OIDC_SCOPES 'openid profile' must include openid and email: Boucle finds the "
        "person by the email claim"
    ]


def test_a_partial_oidc_setup_stops_the_process_without_showing_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the working tree
    monkeypatch.setenv("BOUCLE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BOUCLE_OIDC_CLIENT_SECRET", "ne-pas-afficher")
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as stopped:
            get_settings()
    finally:
        get_settings.cache_clear()
    message = str(stopped.value)
    assert message.startswith("boucle cannot start:\n  OpenID Connect sign-in needs ")
    assert "BOUCLE_OIDC_ISSUER, BOUCLE_OIDC_CLIENT_ID, BOUCLE_OIDC_NAME are missing" in message
    assert "ne-pas-afficher" not in message


# --- the real provider -------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider_folder() -> Path:
    """oidc-provider installed by `npm ci` from tests/oidc, once per lock, kept between runs."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed: OpenID Connect needs Node.js to test against")
    manifests = {name: (PROVIDER / name).read_bytes() for name in NPM_FILES}
    digest = hashlib.sha256(b"".join(manifests.values())).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"boucle-oidc-{digest}"
    if not (folder / "node_modules" / "oidc-provider" / "package.json").exists():
        staging = Path(tempfile.mkdtemp(prefix="boucle-oidc-"))
        for name, content in manifests.items():
            (staging / name).write_bytes(content)
        try:
            installed = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--omit=dev"],
                cwd=staging,
                capture_output=True,
                text=True,
                timeout=300,
            )
        except subprocess.TimeoutExpired:
            pytest.skip("npm ci (oidc-provider) took more than 5 minutes")
        if installed.returncode != 0:
            pytest.skip(f"npm ci (oidc-provider) failed: {installed.stderr.strip()[-500:]}")
        with contextlib.suppress(OSError):  # another run installed it first: use theirs
            staging.rename(folder)
        shutil.rmtree(staging, ignore_errors=True)
    shutil.copy(PROVIDER / "provider.mjs", folder / "provider.mjs")
    return folder


@dataclass
class Provider:
    issuer: str
    secret: str

    async def next_sign_in(self, account: str = "", deny: bool = False) -> None:
        query = {"account": account, **({"deny": "1"} if deny else {})}
        async with httpx.AsyncClient() as http:
            answer = await http.post(f"{self.issuer}/_test/next", params=query)
            assert answer.text == "ok"


@contextlib.contextmanager
def running_provider(folder: Path, redirect_uri: str) -> Iterator[Provider]:
    identity, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
    environment = {
        **os.environ,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": secret,
        "REDIRECT_URI": redirect_uri,
        "IDENTITY": identity,
        "ACCOUNTS": json.dumps(ACCOUNTS),
    }
    process = subprocess.Popen(
        ["node", "provider.mjs"],
        cwd=folder,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # its port, once it listens
        if not line:
            assert process.stderr is not None
            raise AssertionError(f"the OpenID provider did not start: {process.stderr.read()}")
        ready = json.loads(line)
        # The server on that port is the one started here: it knows the identity it was given.
        assert httpx.get(f"{ready['issuer']}/_test/identity").text == identity
        yield Provider(ready["issuer"], secret)
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Stack:
    api: str
    provider: Provider


@pytest_asyncio.fixture
async def stack(provider_folder: Path, tmp_path: Path) -> AsyncIterator[Stack]:
    """Boucle served by uvicorn with the test plan's people, signing in through the provider."""
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    with running_provider(provider_folder, f"{api}/app/sign-in/oidc/callback") as provider:
        settings = Settings(
            data_dir=tmp_path,
            api_port=port,
            temporal_address="127.0.0.1:9",  # nothing listens: signing in needs no engine
            oidc_issuer=provider.issuer,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret=provider.secret,
            oidc_name="ProConnect",
        )
        assert problems(settings) == []
        app = create_app(settings, sessions=store_with(plan_with(ITEMS), tmp_path))
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        running = asyncio.create_task(server.serve())
        while not server.started:
            assert not running.done(), "the API did not start"
            await asyncio.sleep(0.05)
        try:
            yield Stack(api, provider)
        finally:
            server.should_exit = True
            await running


def browser() -> httpx.AsyncClient:
    return httpx.AsyncClient(follow_redirects=True, timeout=20)


async def press_provider_button(http: httpx.AsyncClient, stack: Stack, next: str) -> str:
    """Open the sign-in page as a link to `next` does; the address its provider button opens."""
    shown = await http.get(f"{stack.api}/app/sign-in", params={"next": next})
    assert shown.status_code == 200
    found = re.search(
        r'<a class="button" href="([^"]+)">Se connecter avec ProConnect</a>', shown.text
    )
    assert found, shown.text
    return stack.api + html.unescape(found.group(1))


def refusal(page: httpx.Response) -> str:
    found = re.search(r'<p class="notice error" role="alert">([^<]+)</p>', page.text)
    assert found, page.text
    return html.unescape(found.group(1))


async def test_a_known_person_signs_in_with_the_provider_and_lands_on_the_page_asked_for(
    stack: Stack,
) -> None:
    await stack.provider.next_sign_in("paul")  # Paul.Durand@Example.org: case differs
    async with browser() as http:
        start = await press_provider_button(http, stack, "/app/tasks?from=email")
        landed = await http.get(start)
        assert landed.status_code == 200
        assert str(landed.url) == f"{stack.api}/app/tasks?from=email"
        assert "<h1>Mes tâches</h1>" in landed.text
        assert "Paul Durand" in landed.text
        hops = [str(hop.url).split("?")[0] for hop in landed.history]
        assert hops[0] == f"{stack.api}/app/sign-in/oidc/start"
        assert f"{stack.provider.issuer}/auth" in hops
        assert hops[-1] == f"{stack.api}/app/sign-in/oidc/callback"
        flow_cookie = landed.history[0].headers["set-cookie"]
        assert "Path=/app/sign-in/oidc" in flow_cookie and "HttpOnly" in flow_cookie
        assert http.cookies.get("boucle_session")
        assert http.cookies.get("boucle_oidc") is None  # used once, then cleared
        again = await http.get(f"{stack.api}/app/tasks")
        assert again.status_code == 200 and not again.history  # the session holds


async def test_an_address_boucle_does_not_know_is_refused_with_whom_to_ask(stack: Stack) -> None:
    await stack.provider.next_sign_in("stranger")
    async with browser() as http:
        answered = await http.get(await press_provider_button(http, stack, "/app/tasks"))
        assert answered.status_code == 403
        assert refusal(answered) == (
            "L'adresse que votre fournisseur d'identité a transmise (ci-dessous) n'est celle "
            "d'aucune personne connue de Boucle : demandez au responsable Qualité & DD de vous "
            "ajouter avec cette adresse."
        )
        assert 'value="inconnu@example.org"' in answered.text
        assert "Se connecter avec ProConnect" in answered.text  # to try another account
        assert http.cookies.get("boucle_session") is None


async def test_an_address_the_provider_has_not_verified_is_not_trusted(stack: Stack) -> None:
    await stack.provider.next_sign_in("unverified")  # Claire Martin's address, unverified
    async with browser() as http:
        answered = await http.get(await press_provider_button(http, stack, "/app/tasks"))
        assert answered.status_code == 403
        assert "n'est pas vérifiée" in refusal(answered)
        assert http.cookies.get("boucle_session") is None


async def test_a_sign_in_the_person_cancels_at_the_provider_says_so(stack: Stack) -> None:
    await stack.provider.next_sign_in(deny=True)  # the provider answers error=access_denied
    async with browser() as http:
        answered = await http.get(await press_provider_button(http, stack, "/app/tasks"))
        assert answered.status_code == 400
        assert "text/html" in answered.headers["content-type"]
        assert refusal(answered).startswith("Le fournisseur d'identité n'a pas autorisé")
        assert "error=access_denied" in str(answered.history[-1].headers["location"])
        assert http.cookies.get("boucle_session") is None


async def test_a_tampered_or_foreign_answer_opens_no_session(stack: Stack) -> None:
    await stack.provider.next_sign_in("paul")
    async with httpx.AsyncClient(timeout=20) as http:  # follows redirects by hand, to stop
        url = await press_provider_button(http, stack, "/app/tasks")
        while not url.startswith(f"{stack.api}/app/sign-in/oidc/callback"):
            hop = await http.get(url)
            assert hop.is_redirect, hop.text
            url = str(hop.next_request.url) if hop.next_request else ""
        answer = urlsplit(url)
        query = dict(parse_qsl(answer.query))
        assert query["code"] and query["state"]

        # Another browser (a login-CSRF attempt: the answer pushed to a victim) has no flow.
        async with browser() as elsewhere:
            foreign = await elsewhere.get(url)
            assert foreign.status_code == 400
            assert "n'a pas été commencée dans ce navigateur" in refusal(foreign)
            assert elsewhere.cookies.get("boucle_session") is None

        tampered = {**query, "state": query["state"][:-2] + "xx"}
        refused = await http.get(urlunsplit(answer._replace(query=urlencode(tampered))))
        assert refused.status_code == 400
        assert refusal(refused).startswith("Cette réponse du fournisseur d'identité ne correspond")
        assert http.cookies.get("boucle_session") is None


async def test_without_oidc_settings_the_page_offers_no_provider(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path), sessions=store_with(plan_with(ITEMS), tmp_path))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        shown = await http.get("/app/sign-in")
        assert shown.status_code == 200 and "/app/sign-in/oidc/start" not in shown.text
        started = await http.get("/app/sign-in/oidc/start")
        assert started.status_code == 404
        assert "n'est pas configurée" in refusal(started)


async def test_an_unreachable_provider_is_said_so_on_the_sign_in_page(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        oidc_issuer=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        oidc_client_id=CLIENT_ID,
        oidc_client_secret="secret",
        oidc_name="ProConnect",
    )
    app = create_app(settings, sessions=store_with(plan_with(ITEMS), tmp_path))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        shown = await http.get("/app/sign-in")
        assert "Se connecter avec ProConnect" in shown.text
        started = await http.get("/app/sign-in/oidc/start", params={"next": "/app/tasks"})
        assert started.status_code == 502
        assert "text/html" in started.headers["content-type"]
        assert refusal(started).startswith("Le fournisseur d'identité ne répond pas")
