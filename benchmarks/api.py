"""API latency under 50 concurrent clients, the API in its own process, `wrk` as the load.

Two stores: 1,000 cycles of 10 tasks (the status board over ten years), and a région-sized
year (100 portfolios, 10,000 tasks, 50 buyers) for `/cycles` and for buyers' `/me/tasks`,
each request carrying one of the 50 buyers' tokens in turn.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from benchmarks.region_plan import region_plan
from domain.validation import load_plan
from services.settings import Settings
from services.tokens import create_token
from store.database import SessionFactory, make_engine, migrate
from store.plans import save_organisation
from store.tables import Cycle, Person, Portfolio, Task, TaskPerson

CLIENTS = 50


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fill(sessions: SessionFactory, cycles: int, tasks_per_cycle: int, buyers: list[str]) -> None:
    """`cycles` cycles over ten years (or one year when there are 100), tasks spread on buyers."""
    now = datetime.now(UTC)
    with sessions() as session:
        for number in range(cycles):
            portfolio = f"p{number:04d}"
            year = now.year if cycles <= 100 else 2020 + number % 10
            cycle_id = f"{portfolio}/{year}"
            session.add(Portfolio(id=portfolio, name=f"Portefeuille {number}", buyers=[]))
            session.add(
                Cycle(
                    id=cycle_id,
                    portfolio=portfolio,
                    year=year,
                    phase="executing",
                    workflow_id=f"cycle:{portfolio}:{year}",
                    plan_version=1,
                )
            )
            for slot in range(tasks_per_cycle):
                due = now + timedelta(days=(slot * 7) % 365 - 120)
                task_id = f"{cycle_id}/t{slot}/{due.date()}"
                buyer = buyers[(number * tasks_per_cycle + slot) % len(buyers)]
                session.add(
                    Task(
                        id=task_id,
                        cycle_id=cycle_id,
                        portfolio=portfolio,
                        year=year,
                        item=f"t{slot}",
                        kind="action",
                        title="Tâche",
                        due_at=due,
                        original_at=due,
                        assignees=[buyer],
                        status="done" if slot % 3 == 0 else "open",
                    )
                )
                session.add(TaskPerson(task_id=task_id, person_id=buyer, relation="assignee"))
        session.commit()


def store(folder: Path, cycles: int, tasks_per_cycle: int) -> tuple[list[str], list[str]]:
    """A store in `folder`; returns the officer's token and the buyers' tokens."""
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'api.db'}")
    engine = make_engine(settings.database)
    migrate(engine)
    sessions = SessionFactory(engine)
    buyers = [f"acheteur-{n:02d}" for n in range(50)]
    with sessions() as session:
        save_organisation(session, load_plan(region_plan(portfolios=1, items_per_portfolio=5)))
        for buyer in buyers:
            session.add(Person(id=buyer, name=buyer, email=f"{buyer}@example.org", role="buyer"))
        session.commit()
        officer = create_token(session, "qdd")
        tokens = [create_token(session, buyer) for buyer in buyers]
    fill(sessions, cycles, tasks_per_cycle, buyers)
    return [officer], tokens


def serve(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    environment = {
        **os.environ,
        "BOUCLE_DATA_DIR": str(folder),
        "BOUCLE_DATABASE_URL": f"sqlite:///{folder / 'api.db'}",
        "BOUCLE_API_PORT": str(port),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "boucle.cli", "api"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    return server, port


WRK_SCRIPT = """
tokens = {%s}
counter = 0
request = function()
  counter = counter + 1
  local token = tokens[(counter %% #tokens) + 1]
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. token})
end
"""


def measure(port: int, path: str, tokens: list[str], seconds: int = 15) -> str:
    url = f"http://127.0.0.1:{port}{path}"
    wrk = shutil.which("wrk")
    if wrk:
        # wrk (Debian's package) loads the server without competing with it for the GIL.
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT % ", ".join(f'"{t}"' for t in tokens))
        # Three seconds of warm-up first: the figures are the steady state, not the first
        # request of each of the fifty buyers (each of those costs one query, ~5 ms).
        subprocess.run(
            [wrk, "-t2", f"-c{CLIENTS}", "-d3s", "-s", script.name, url],
            capture_output=True,
            check=True,
        )
        run = subprocess.run(
            [wrk, "-t2", f"-c{CLIENTS}", f"-d{seconds}s", "--latency", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", run.stdout, re.M))
        rate = re.search(r"Requests/sec:\s+(\S+)", run.stdout)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", run.stdout)
        return (
            f"p50 {figures.get('50')}, p99 {figures.get('99')}, "
            f"{rate.group(1) if rate else '?'} requests/s (wrk, {seconds} s"
            f"{', ' + errors.group(1) + ' errors' if errors else ''})"
        )
    print(
        "  wrk is not installed: these figures come from an httpx client that measures itself "
        "as much as the server. Install wrk (Debian, Ubuntu: apt-get install wrk; macOS: brew "
        "install wrk) and run make bench again for the server's own p99.",
        flush=True,
    )
    return asyncio.run(_measure_with_httpx(url, tokens))


async def _measure_with_httpx(url: str, tokens: list[str], requests: int = 4000) -> str:
    latencies: list[float] = []
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=CLIENTS)) as http:

        async def one_client(number: int) -> None:
            headers = {"Authorization": f"Bearer {tokens[number % len(tokens)]}"}
            for _ in range(requests // CLIENTS):
                started = time.perf_counter()
                response = await http.get(url, headers=headers)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200

        wall = time.perf_counter()
        await asyncio.gather(*(one_client(n) for n in range(CLIENTS)))
        wall = time.perf_counter() - wall
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    return (
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, {len(latencies) / wall:.0f} requests/s "
        "(httpx client: it measures itself as much as the server)"
    )


def main() -> None:
    board = Path(tempfile.mkdtemp(prefix="boucle-bench-board-"))
    officer, _ = store(board, 1000, 10)
    server, port = serve(board)
    try:
        print(
            "GET /cycles?year=2024 (100 of 1,000 cycles, 10,000 tasks), 50 connections: "
            + measure(port, "/cycles?year=2024", officer),
            flush=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)

    region = Path(tempfile.mkdtemp(prefix="boucle-bench-region-"))
    officer, buyers = store(region, 100, 100)
    server, port = serve(region)
    try:
        print(
            "région year (100 portfolios, 10,000 tasks): GET /cycles, 50 connections: "
            + measure(port, "/cycles", officer),
            flush=True,
        )
        print(
            "région year: GET /me/tasks?status=open&limit=50, 50 connections, 50 buyers' "
            "tokens in turn (200 tasks each): "
            + measure(port, "/me/tasks?status=open&limit=50", buyers),
            flush=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
