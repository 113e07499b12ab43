"""The FastAPI application: one Temporal client and one engine for the app's lifetime."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from api import errors, openapi, web
from api.audit import AuditTrail
from api.cache import Caches
from api.limits import BodyLimit
from api.metrics import RouteLatency
from api.metrics import router as metrics_router
from api.routes import (
    admin,
    audit,
    calendar_feed,
    calendar_page,
    cycle_forms,
    cycle_items,
    cycle_pages,
    cycles,
    decp,
    health,
    indicators,
    links,
    notifications,
    oidc,
    pages,
    people,
    plan_edit,
    plan_pages,
    plans,
    review_pages,
    sign_in,
    task_forms,
    task_pages,
    tasks,
)
from services.settings import Settings, get_settings
from services.temporal import connect
from store.database import SessionFactory, make_engine

JSON_LIMIT = 2_100_000  # a plan file (2 MB) and its framing; every other JSON body is far smaller
UPLOAD_LIMIT = 10_600_000  # an evidence file (10 MB) and its multipart framing
ROUTERS = tuple(
    module.router
    for module in (
        health,
        people,
        plans,
        cycles,
        tasks,
        indicators,
        decp,
        notifications,
        audit,
        admin,
        links,
        sign_in,
        oidc,
        task_pages,
        task_forms,
        plan_pages,
        plan_edit,
        cycle_pages,
        cycle_forms,
        cycle_items,
        review_pages,
        calendar_feed,
        calendar_page,
    )
) + (pages.reports_router, pages.router, pages.login_router, metrics_router)


def create_app(
    settings: Settings | None = None,
    *,
    temporal: Client | None = None,
    sessions: SessionFactory | None = None,
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.sessions = sessions or SessionFactory(make_engine(settings.database))
        app.state.caches = Caches()
        app.state.temporal = temporal
        lock = asyncio.Lock()

        async def connect_temporal() -> Client | None:
            # Connected lazily so the API starts (and reports health) while Temporal is down.
            async with lock:
                if app.state.temporal is None:
                    try:
                        app.state.temporal = await asyncio.wait_for(connect(settings), 5)
                    except Exception:  # noqa: BLE001
                        return None
                return app.state.temporal

        app.state.connect_temporal = connect_temporal
        # What startup built lives as long as the process: keeping it out of the collector's
        # full passes shortens the pauses that show in the slowest percentile of requests.
        gc.collect()
        gc.freeze()
        yield

    app = FastAPI(
        title="Boucle",
        version="0.1.0",
        lifespan=lifespan,
        description="Le cycle d'amélioration continue des achats responsables.",
    )
    errors.install(app)
    web.install(app)
    openapi.install(app)
    # An oversized body is refused before anything reads it; the audit trail, added last so
    # that it runs first, records that refusal too (it never reads a body itself).
    app.add_middleware(BodyLimit, json_limit=JSON_LIMIT, upload_limit=UPLOAD_LIMIT)
    app.add_middleware(AuditTrail, sessions=lambda: app.state.sessions)
    app.add_middleware(RouteLatency)  # outermost: a refused body's time counts too
    for router in ROUTERS:  # the routes the access table lists, and no other
        app.include_router(router)
    return app
