"""A revoked token, a departed person or a new role reaches every API replica within a second."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import api.deps
from api.main import create_app
from domain.model import Role
from services.settings import Settings
from services.tokens import issue_token, revoke_token
from store.database import SessionFactory
from store.plans import save_organisation
from store.tables import Person
from tests.plans import plan_with

WITHIN = 1.0  # seconds: what the README promises


def people(sessions: SessionFactory) -> dict[str, tuple[str, int]]:
    """The test plan's people and an admin, each with a token (and its number)."""
    with sessions() as session:
        save_organisation(session, plan_with(""))
        session.add(Person(id="adm", name="Admin", email="admin@example.org", role="admin"))
        session.commit()
        issued = {who: issue_token(session, who) for who in ("qdd", "resto", "nett", "dgs", "adm")}
    return {who: (token, row.id or 0) for who, (token, row) in issued.items()}


@asynccontextmanager
async def replicas(sessions: SessionFactory, folder: Path) -> AsyncIterator[list[FastAPI]]:
    """Two API processes' apps on one database."""
    apps = [create_app(Settings(data_dir=folder), sessions=sessions) for _ in range(2)]
    async with apps[0].router.lifespan_context(apps[0]), apps[1].router.lifespan_context(apps[1]):
        yield apps


async def status(app: FastAPI, token: str, path: str = "/me") -> int:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        response = await http.get(path, headers={"Authorization": f"Bearer {token}"})
    return response.status_code


async def seconds_until(app: FastAPI, token: str, expected: int) -> float:
    """How long until `token` gets `expected` on `app` (polled every 20 ms, 3 s at most)."""
    started = time.monotonic()
    while await status(app, token) != expected:
        if time.monotonic() - started > 3:
            return float("inf")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_a_revoked_token_stops_working_on_every_replica_within_a_second(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    tokens = people(sessions)
    async with replicas(sessions, tmp_path) as (first, second):
        for app in (first, second):
            assert await status(app, tokens["resto"][0]) == 200  # both replicas hold it
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=first), base_url="http://test"
        ) as http:
            revoked = await http.delete(
                f"/tokens/{tokens['resto'][1]}",
                headers={"Authorization": f"Bearer {tokens['adm'][0]}"},
            )
        assert revoked.status_code == 200
        assert await status(first, tokens["resto"][0]) == 401  # at once where it was revoked
        assert await seconds_until(second, tokens["resto"][0], 401) < WITHIN

        assert await status(second, tokens["nett"][0]) == 200
        with sessions() as session:
            revoke_token(session, tokens["nett"][1])  # `boucle token revoke`, another process
        assert await seconds_until(second, tokens["nett"][0], 401) < WITHIN

        assert await status(second, tokens["dgs"][0]) == 200
        with sessions() as session:
            revoke_token(session, tokens["dgs"][1])
        await asyncio.sleep(WITHIN)  # a quiet second: no request has refreshed anything since
        assert await status(second, tokens["dgs"][0]) == 401  # the very next answer is fresh


async def test_deactivating_or_re_roling_a_person_reaches_every_replica_within_a_second(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    tokens = people(sessions)
    admin = {"Authorization": f"Bearer {tokens['adm'][0]}"}
    async with replicas(sessions, tmp_path) as (first, second):
        assert await status(second, tokens["dgs"][0], "/plans") == 200
        assert await status(second, tokens["qdd"][0]) == 200
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=first), base_url="http://test", headers=admin
        ) as http:
            demoted = await http.put(
                "/people/dgs",
                json={"name": "Anne Leroy", "email": "anne.leroy@example.org", "role": "buyer"},
            )
            assert demoted.status_code == 200
            departed = await http.put(
                "/people/qdd",
                json={
                    "name": "Claire Martin",
                    "email": "claire.martin@example.org",
                    "role": "officer",
                    "active": False,
                },
            )
            assert departed.status_code == 200
        started = time.monotonic()
        while await status(second, tokens["dgs"][0], "/plans") != 403:
            assert time.monotonic() - started < WITHIN, "the old role still answers"
            await asyncio.sleep(0.02)
        assert await seconds_until(second, tokens["qdd"][0], 401) < WITHIN


async def test_a_flood_of_made_up_tokens_evicts_no_good_one_and_queues_for_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.engine.support import store_with

    sessions = store_with(plan_with(""), tmp_path)
    with sessions() as session:
        good, _ = issue_token(session, "resto")
    looked_up: list[str] = []
    running = [0, 0]  # now, most at once
    lock = threading.Lock()
    real = api.deps.bearer_for

    def counting(session: Any, token: str) -> Any:
        with lock:
            looked_up.append(token)
            running[0] += 1
            running[1] = max(running)
        try:
            time.sleep(0.001)
            return real(session, token)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(api.deps, "bearer_for", counting)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app):
        assert await status(app, good) == 200
        made_up = ["bcl_" + secrets.token_urlsafe(32) for _ in range(1100)]
        for start in range(0, len(made_up), 100):
            answers = await asyncio.gather(*(status(app, t) for t in made_up[start : start + 100]))
            assert set(answers) == {401}
        garbage = await asyncio.gather(*(status(app, "x" * n) for n in range(1, 200)))
        assert set(garbage) == {401}
        assert await status(app, good) == 200
    assert looked_up.count(good) == 1  # still cached after 1,100 refusals
    assert len(looked_up) == 1101  # malformed tokens never reached the store
    assert running[1] <= 4  # refusals queue: the thread pool and the store stay free


async def test_a_role_is_read_from_the_store_not_kept_with_the_token(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    tokens = people(sessions)
    async with replicas(sessions, tmp_path) as (first, _):
        assert await status(first, tokens["nett"][0], "/plans") == 403
        with sessions() as session:
            from store.access import access_changed

            nett = session.get(Person, "nett")
            assert nett is not None
            nett.role = Role.officer.value
            session.add(nett)
            access_changed(session)
            session.commit()
        started = time.monotonic()
        while await status(first, tokens["nett"][0], "/plans") != 200:
            assert time.monotonic() - started < WITHIN
            await asyncio.sleep(0.02)
