"""The dashboard login answers only to its own form and opens a page session, not a token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlmodel import select

from api.main import create_app
from domain.model import Role
from services.settings import Settings
from services.tokens import issue_token, revoke_token
from store.tables import PageSession, Person
from tests.api.test_roles import seeded


async def form_key(browser: httpx.AsyncClient) -> str:
    page = await browser.get("/dashboard/login")
    found = re.search(r'name="form_key" value="([^"]+)"', page.text)
    assert found is not None
    return found[1]


def cookie_of(response: httpx.Response) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if "boucle_session=" in h)


async def test_the_dashboard_login_refuses_other_sites_and_opens_a_revocable_page_session(
    tmp_path: Path,
) -> None:
    sessions, tokens = seeded(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    direction = tokens[Role.direction]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as web,
    ):
        forged = await web.post("/dashboard/login", data={"token": direction})
        assert forged.status_code == 403 and "ne vient pas de Boucle" in forged.text
        key = await form_key(web)
        elsewhere = await web.post(
            "/dashboard/login",
            data={"token": direction, "form_key": key},
            headers={"Origin": "https://attacker.example"},
        )
        assert elsewhere.status_code == 403
        framed = await web.post(
            "/dashboard/login",
            data={"token": direction, "form_key": key},
            headers={"Referer": "https://attacker.example/page"},
        )
        assert framed.status_code == 403
        logged = await web.post(
            "/dashboard/login",
            data={"token": direction, "form_key": await form_key(web)},
            headers={"Origin": "http://test"},
        )
        assert logged.status_code == 303
        cookie = cookie_of(logged)
        secret = web.cookies["boucle_session"]
        assert secret.startswith("bcs_") and direction not in cookie
        # Lax: a link from an email arrives signed in; the session serves every page.
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
        assert "path=/;" in cookie.lower() and "secure" not in cookie.lower()
        assert 0 < int(re.search(r"Max-Age=(\d+)", cookie)[1]) <= 8 * 3600  # type: ignore[index]
        assert (await web.get("/dashboard")).status_code == 200
        as_bearer = {"Authorization": f"Bearer {secret}"}
        assert (await web.get("/me", headers=as_bearer)).status_code == 401  # pages only

        left = await web.post("/dashboard/logout")
        assert left.status_code == 303 and left.headers["location"] == "/dashboard/login"
        web.cookies.set("boucle_session", secret, path="/")
        assert (await web.get("/dashboard")).status_code == 303  # the session is over

        web.cookies.set("boucle_session", direction, path="/")  # the old cookie
        assert (await web.get("/dashboard")).status_code == 303

        with sessions() as session:
            spare, row = issue_token(session, "dgs")
        web.cookies.clear()
        assert (
            await web.post(
                "/dashboard/login", data={"token": spare, "form_key": await form_key(web)}
            )
        ).status_code == 303
        assert (await web.get("/dashboard")).status_code == 200
        with sessions() as session:
            revoke_token(session, row.id or 0)
        assert (await web.get("/dashboard")).status_code == 303  # its token was revoked

        web.cookies.clear()
        assert (
            await web.post(
                "/dashboard/login", data={"token": direction, "form_key": await form_key(web)}
            )
        ).status_code == 303
        with sessions() as session:
            opened = session.exec(select(PageSession).order_by(PageSession.id.desc())).first()  # type: ignore[union-attr]
            assert opened is not None
            opened.expires_at = datetime.now(UTC) - timedelta(seconds=1)
            session.add(opened)
            session.commit()
        assert (await web.get("/dashboard")).status_code == 303  # expired

        web.cookies.clear()
        assert (
            await web.post(
                "/dashboard/login", data={"token": direction, "form_key": await form_key(web)}
            )
        ).status_code == 303
        with sessions() as session:
            departed = session.get(Person, "dgs")
            assert departed is not None
            departed.active = False
            session.add(departed)
            session.commit()
        assert (await web.get("/dashboard")).status_code == 303  # no longer active


async def test_the_page_cookie_is_secure_whenever_the_public_address_is_https(
    tmp_path: Path,
) -> None:
    sessions, tokens = seeded(tmp_path)
    public = Settings(data_dir=tmp_path, public_url="https://boucle.example.org")
    app = create_app(public, sessions=sessions)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as web,
    ):
        form = await web.get("/dashboard/login")  # behind a proxy the app sees plain http
        assert "secure" in form.headers["set-cookie"].lower()
        key = re.search(r'name="form_key" value="([^"]+)"', form.text)[1]  # type: ignore[index]
        logged = await web.post(
            "/dashboard/login",
            data={"token": tokens[Role.officer], "form_key": key},
            headers={"Origin": "https://boucle.example.org", "Cookie": f"boucle_login={key}"},
        )
    assert logged.status_code == 303
    assert "secure" in cookie_of(logged).lower()
