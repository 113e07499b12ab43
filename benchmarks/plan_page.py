"""How long the officer's plan page takes to answer: the demo plan (goal < 300 ms) and one
portfolio of a région's plan (goal < 2 s), in process, the store on disk, no workflow engine.

`python -m benchmarks.plan_page` prints the median and the slowest of several requests.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from api.main import create_app
from benchmarks.region_plan import region_plan
from domain.model import PlanFile
from domain.validation import load_plan
from services.settings import Settings
from services.tokens import open_person_session
from store.database import SessionFactory, make_engine, migrate
from store.plans import save_organisation, save_plan_version

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo-plan.yaml"
GOALS = {"demo": 0.300, "région": 2.0}
REQUESTS = 7


def _store(document: PlanFile, folder: Path) -> SessionFactory:
    engine = make_engine(f"sqlite:///{folder / 'boucle.db'}")
    migrate(engine)
    sessions = SessionFactory(engine)
    with sessions() as session:
        save_organisation(session, document)
        for plan in document.plans:
            save_plan_version(session, document, plan, created_by="bench")
        session.commit()
    return sessions


async def _measure(document: PlanFile, folder: Path) -> tuple[str, list[float]]:
    sessions = _store(document, folder)
    officer = document.officers[0]
    with sessions() as session:
        secret, _ = open_person_session(session, officer)
    plan = document.plans[0]
    url = f"/app/plans/{plan.portfolio}/{plan.year}"
    settings = Settings(data_dir=folder, temporal_address="127.0.0.1:9")  # no engine: the store
    app = create_app(settings, sessions=sessions)
    timings = []
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as browser,
    ):
        browser.cookies.set("boucle_session", secret)
        for _ in range(REQUESTS + 1):  # the first warms the templates and the holiday tables
            started = time.perf_counter()
            answer = await browser.get(url)
            timings.append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise SystemExit(f"{url}: {answer.status_code}")
    return url, timings[1:]


def main() -> int:
    cases = {
        "demo": load_plan(DEMO.read_text(encoding="utf-8")),
        "région": load_plan(region_plan()),
    }
    failed = False
    for name, document in cases.items():
        with tempfile.TemporaryDirectory() as folder:
            url, timings = asyncio.run(_measure(document, Path(folder)))
        median, slowest = statistics.median(timings), max(timings)
        goal = GOALS[name]
        verdict = "ok" if median < goal else "TOO SLOW"
        failed |= median >= goal
        print(
            f"plan page, {name} ({url}): median {median * 1000:.0f} ms, "
            f"slowest {slowest * 1000:.0f} ms over {len(timings)} requests "
            f"(goal < {goal * 1000:.0f} ms): {verdict}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
