"""`boucle dev`: the whole local stack in one process tree, resuming where it stopped."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from api.logs import uvicorn_log_config
from api.main import create_app
from boucle.devserver import (
    DevServerConfig,
    check_identity,
    port_is_free,
    start_dev_server,
    wait_until_serving,
)
from boucle.mailcatcher import start_mail_catcher
from boucle.planfile import read_plan_file
from boucle.scheduler import build_scheduler
from boucle.temporal import build_worker, mailer_for, worker_metrics
from domain.demo import demo_contracts, evaluation_has_opened, live_demo, next_year_demo
from domain.model import PlanFile
from services.plans import ImportedPlan, approve_plan, import_plans, submit_plan
from services.settings import Settings, exit_if_invalid, write_private
from services.temporal import connect
from store.database import SessionFactory, make_engine, migrate

log = logging.getLogger("boucle.dev")
DEMO_PLAN = Path(__file__).resolve().parent.parent / "examples" / "demo-plan.yaml"
DEMO_CONTRACTS = DEMO_PLAN.with_name("demo-decp.json")


async def run_dev(settings: Settings, config_path: Path) -> None:
    config = DevServerConfig.load(config_path)
    exit_if_invalid(settings)
    settings = settings.model_copy(
        update={"temporal_address": config.address, "temporal_namespace": config.namespace}
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ports = {"Temporal": config.port, "API": settings.api_port, "SMTP": settings.smtp_port}
    if config.ui:
        ports["Temporal UI"] = config.ui_port
    busy = [
        f"{name} ({port})" for name, port in ports.items() if not port_is_free("127.0.0.1", port)
    ]
    if busy:
        raise SystemExit(
            "ports in use by another process: "
            + ", ".join(busy)
            + " — stop it, or change temporal-dev.yaml / BOUCLE_*_PORT"
        )

    engine = make_engine(settings.database)
    migrate(engine)
    sessions = SessionFactory(engine)
    server = start_dev_server(config, settings.data_dir / "temporal.log")
    mail_folder = settings.data_dir / "mail"
    catcher = start_mail_catcher(mail_folder, "127.0.0.1", settings.smtp_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for name in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(name, stop.set)
    try:
        client = await wait_until_serving(lambda: connect(settings), server)
        await check_identity(client, settings.data_dir / "temporal-cluster-id")
        with (
            ThreadPoolExecutor(max_workers=settings.worker_threads) as executor,
            worker_metrics(settings),
        ):
            worker = build_worker(client, settings, sessions, mailer_for(settings), executor)
            api = uvicorn.Server(
                uvicorn.Config(
                    create_app(settings, temporal=client, sessions=sessions),
                    host=settings.api_host,
                    port=settings.api_port,
                    log_level="warning",
                    log_config=uvicorn_log_config(),  # one-click links are not logged whole
                )
            )
            scheduler = build_scheduler(client, settings.task_queue, sessions)
            async with worker:
                scheduler.start()
                api_task = asyncio.create_task(api.serve())
                await _first_start(settings, sessions, client)
                ui = f"  Temporal UI   http://{config.ip}:{config.ui_port}\n" if config.ui else ""
                print(
                    f"Boucle is running.\n"
                    f"  API docs      {settings.base_url}/docs\n"
                    f"  Dashboard     {settings.base_url}/dashboard (the direction's token: dgs)\n"
                    f"{ui}"
                    f"  Mail folder   {mail_folder.resolve()}\n"
                    f"  Tokens        {settings.data_dir / 'tokens.txt'} (one per person)\n"
                    f"Ctrl-C stops everything; the next start resumes.",
                    flush=True,
                )
                await stop.wait()
                scheduler.shutdown(wait=False)
                api.should_exit = True
                await api_task
    finally:
        catcher.stop()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except Exception:  # noqa: BLE001
            os.killpg(server.pid, signal.SIGKILL)


async def _first_start(
    settings: Settings, sessions: SessionFactory, client: object, now: datetime | None = None
) -> None:
    """Import, submit and approve the live demo once; after the year's evaluation date, also
    next year's, submitted and left for the direction to approve. Later starts resume."""
    marker = settings.data_dir / "demo-loaded"
    if marker.exists():
        return
    now = now or datetime.now(UTC)
    source = read_plan_file(DEMO_PLAN)
    document = live_demo(source, now)
    officer = document.officers[0]
    director = document.directors[0]
    imported = await _load(settings, sessions, client, document, officer, director)
    lines = [
        f"Demo plan loaded for {imported[0].year if imported else '—'}: "
        f"{len(imported)} cycles submitted by {officer} and approved by {director}."
    ]
    if evaluation_has_opened(document, now):
        following = next_year_demo(source, now)
        waiting = await _load(settings, sessions, client, following, officer, None)
        year = following.plans[0].year if following.plans else "—"
        deadline = following.plans[0].approve_by if following.plans else "—"
        lines.append(
            f"Next year's plan ({year}): {len(waiting)} cycles submitted by {officer}, waiting "
            f"for the direction's approval by {deadline} (in the browser, through the API, or "
            f"`boucle plan approve PORTFOLIO {year} --as {director}`)."
        )
    lines.append(_load_contracts(sessions, document, now))
    from services.tokens import create_token

    with sessions() as session:
        tokens = [
            f"{person.id}\t{person.role.value}\t{create_token(session, person.id, 'dev')}"
            for person in document.people
        ]
    write_private(settings.data_dir / "tokens.txt", "\n".join(tokens) + "\n")  # tokens in clear
    marker.write_text(now.isoformat() + "\n")
    print("\n".join(lines))


def _load_contracts(sessions: SessionFactory, document: PlanFile, now: datetime) -> str:
    """The demo's DECP contracts of the year so far, for the legal figures and the report."""
    from services.decp import import_decp

    year = document.plans[0].year if document.plans else now.year
    today = now.astimezone(document.organisation.zone).date()
    source = json.loads(DEMO_CONTRACTS.read_text(encoding="utf-8"))
    data = json.dumps(demo_contracts(source, year, today), ensure_ascii=False).encode()
    with sessions() as session:
        result = import_decp(session, data, DEMO_CONTRACTS.name, year=year)
    stored = result.stored.added + result.stored.unchanged if result.stored else 0
    return f"DECP contracts of {year} so far: {stored} (`boucle decp summary` and the report)."


async def _load(
    settings: Settings,
    sessions: SessionFactory,
    client: object,
    document: PlanFile,
    officer: str,
    director: str | None,
) -> list[ImportedPlan]:
    """Import the demo's plans and have the officer submit each; the direction approves them
    too when `director` is given."""
    imported = await import_plans(
        document,
        sessions,
        client,  # type: ignore[arg-type]
        settings.task_queue,
        by="demo",
    )
    for plan in imported:
        await submit_plan(client, plan.portfolio, plan.year, officer)  # type: ignore[arg-type]
        if director is not None:
            await approve_plan(client, plan.portfolio, plan.year, director)  # type: ignore[arg-type]
    return imported
