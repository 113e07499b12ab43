"""The API's /metrics: latency by route template, nothing secret in it or in the log lines."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import logging.config
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from api.logs import SECRET_PATHS, uvicorn_log_config
from api.main import create_app
from services.logging_setup import JsonLines, logging_config
from services.settings import Settings
from tests.engine.support import store_with
from tests.plans import plan_with

LINK = "/act/eyJ0YXNrIjoicmVzdGF1cmF0aW9uIn0.c2lnbmF0dXJlLXNlY3JldGU"
FEED = "/calendar/bcf_" + "A" * 43 + ".ics"
SIGN_IN = "/app/sign-in/lien-de-connexion-secret-0123456789"
TOKEN = "bcl_jeton-inconnu-mais-secret-0123456789abcdef"
SECRETS = ("eyJ0YXNrIjoicmVzdGF1cmF0aW9uIn0", "A" * 43, "lien-de-connexion-secret", TOKEN)


async def requests_with_secrets(http: httpx.AsyncClient) -> None:
    for path in (LINK, FEED, SIGN_IN, "/tasks/restauration/2027/pub/2027-02-15", "/nulle-part"):
        await http.get(path, headers={"Authorization": f"Bearer {TOKEN}"})


async def test_metrics_show_latency_by_route_template_and_no_secret(tmp_path: Path) -> None:
    sessions = store_with(plan_with(""), tmp_path)
    app = create_app(Settings(data_dir=tmp_path, temporal_address="127.0.0.1:9"), sessions=sessions)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        await requests_with_secrets(http)
        scraped = await http.get("/metrics")  # no person's token: Prometheus has none
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=")
    routes = {
        (sample.labels["route"], sample.labels["status"])
        for family in text_string_to_metric_families(scraped.text)
        if family.name == "boucle_http_request_duration_seconds"
        for sample in family.samples
        if sample.name.endswith("_count")
    }
    assert ("/act/{token}", "200") in routes  # the page that says the link is unknown
    assert ("/tasks/{task_id:path}", "401") in routes
    assert ("/calendar/{secret}.ics", "404") in routes
    assert ("unmatched", "404") in routes
    assert not [secret for secret in (*SECRETS, "nulle-part") if secret in scraped.text]


async def test_metrics_token_when_set_is_required(tmp_path: Path) -> None:
    sessions = store_with(plan_with(""), tmp_path)
    settings = Settings(data_dir=tmp_path, metrics_token="prometheus-du-departement-0123456789")
    app = create_app(settings, sessions=sessions)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        assert (await http.get("/metrics")).status_code == 401
        wrong = {"Authorization": "Bearer autre-chose"}
        assert (await http.get("/metrics", headers=wrong)).status_code == 401
        right = {"Authorization": "Bearer prometheus-du-departement-0123456789"}
        answered = await http.get("/metrics", headers=right)
    assert answered.status_code == 200 and "boucle_http_request_duration_seconds" in answered.text


@contextlib.contextmanager
def logging_restored() -> Iterator[None]:
    """Put back the loggers a served app's dictConfig changes: later tests (CliRunner's
    closed streams) must not inherit a root handler on this test's stderr."""
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {name: logging.getLogger(name) for name in names}
    state = {name: (log.handlers[:], log.level, log.propagate) for name, log in saved.items()}
    try:
        yield
    finally:
        for name, log in saved.items():
            handlers, level, propagate = state[name]
            log.handlers[:] = handlers
            log.setLevel(level)
            log.propagate = propagate


async def serve_and_call(app: Any, port: int) -> None:
    """Serve `app` with JSON logs, send the requests with secrets, log a careless line."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            loop="asyncio",
            log_config=logging_config("json", SECRET_PATHS, uvicorn_log_config()),
        )
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await requests_with_secrets(http)
        # What a careless log call would write: the formatter cuts secrets out of any message.
        logging.getLogger("boucle.api").warning("unexpected error on %s with %s", LINK, TOKEN)
    finally:
        server.should_exit = True
        await serving


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_json_log_lines_of_a_served_api_keep_no_link_or_token(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    sessions = store_with(plan_with(""), tmp_path)
    app = create_app(Settings(data_dir=tmp_path, temporal_address="127.0.0.1:9"), sessions=sessions)
    port = free_port()
    with logging_restored():  # uvicorn.Config sets logging up as soon as it is made
        await serve_and_call(app, port)
    captured = capsys.readouterr()  # uvicorn's access lines go to stdout, the others to stderr
    lines = [json.loads(line) for line in (captured.out + captured.err).splitlines() if line]
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert len(access) == 5
    assert {"time", "level", "logger", "message"} <= set(access[0])
    assert '"GET /act/… HTTP/1.1" 200' in access[0]["message"]  # the page: link unknown
    assert "/calendar/…" in access[1]["message"] and "/app/sign-in/…" in access[2]["message"]
    written = "\n".join(json.dumps(line) for line in lines)
    assert not [secret for secret in SECRETS if secret in written]
    assert "unexpected error on /act/… with bcl_…" in [line["message"] for line in lines]


def test_a_json_line_names_the_task_and_the_person_the_code_knows() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines(SECRET_PATHS))
    log = logging.getLogger("boucle.delivery.test")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning(
            "reminder not sent, to be retried for %s: %s",
            "resto",
            "451 try again later",
            extra={"task_id": "restauration/2027/pub/2027-02-15", "person_id": "resto"},
        )
    finally:
        log.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["level"] == "warning" and line["logger"] == "boucle.delivery.test"
    assert line["task_id"] == "restauration/2027/pub/2027-02-15" and line["person_id"] == "resto"
    assert line["message"] == "reminder not sent, to be retried for resto: 451 try again later"
