"""What `make run` loads on first start: the demo moved to the present, and in December next
year's plan too, submitted by the officer and waiting for the direction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from boucle import dev
from domain.demo import evaluation_has_opened, live_demo, next_year_demo
from domain.model import PlanFile
from services import plans
from services.settings import Settings
from store.database import SessionFactory
from store.tables import Cycle, DecpContract, PlanVersion
from tests.engine.support import RecordingMailer, running_worker, store_with
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import Phase, cycle_workflow_id

DECEMBER = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
PORTFOLIOS = {"restauration", "nettoyage", "reserves", "prestations-intellectuelles", "pilotage"}


def demo() -> PlanFile:
    return dev.read_plan_file(dev.DEMO_PLAN)


def test_next_years_plan_is_the_demo_with_a_deadline_ahead() -> None:
    live = live_demo(demo(), DECEMBER)
    assert evaluation_has_opened(live, DECEMBER)  # 1 November 2026 has passed
    assert not evaluation_has_opened(live_demo(demo(), JUNE), JUNE)
    following = next_year_demo(demo(), DECEMBER)
    assert {plan.year for plan in following.plans} == {2027}
    assert {plan.approve_by for plan in following.plans} == {"2026-12-15"}
    assert [len(plan.items) for plan in following.plans] == [len(p.items) for p in demo().plans]
    late = next_year_demo(demo(), datetime(2027, 12, 20, 9, tzinfo=UTC))
    assert {plan.approve_by for plan in late.plans} == {"2027-12-27"}  # a week to approve it
    veille = late.plan("pilotage", 2028).items[0]  # type: ignore[union-attr]
    assert veille.start == "2028-01-03T09:30"  # moved by whole weeks: still the first Monday


class Recorded:
    """The store-facing use cases, recording what the demo asked of the engine."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    async def import_plans(self, document: PlanFile, *args: Any, **options: Any) -> list[Any]:
        self.calls += [("import", plan.portfolio, plan.year) for plan in document.plans]
        return [plans.ImportedPlan(p.portfolio, p.year, 1, True, True) for p in document.plans]

    async def submit(self, client: Any, portfolio: str, year: int, by: str) -> None:
        self.calls.append(("submit", portfolio, year))

    async def approve(self, client: Any, portfolio: str, year: int, by: str) -> None:
        self.calls.append(("approve", portfolio, year))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (JUNE, {("import", 2026), ("submit", 2026), ("approve", 2026)}),
        (
            DECEMBER,
            {("import", 2026), ("submit", 2026), ("approve", 2026)}
            | {("import", 2027), ("submit", 2027)},
        ),
    ],
    ids=["june", "december"],
)
async def test_what_the_first_start_asks_of_the_engine(
    now: datetime,
    expected: set[tuple[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sessions = store_with(demo(), tmp_path)  # the people, whose tokens it writes
    recorded = Recorded()
    monkeypatch.setattr(dev, "import_plans", recorded.import_plans)
    monkeypatch.setattr(dev, "submit_plan", recorded.submit)
    monkeypatch.setattr(dev, "approve_plan", recorded.approve)
    await dev._first_start(Settings(data_dir=tmp_path), sessions, client=None, now=now)
    assert {(call, year) for call, _, year in recorded.calls} == expected
    for call, year in expected:
        assert {p for c, p, y in recorded.calls if (c, y) == (call, year)} == PORTFOLIOS


async def until(check: Any, timeout: float = 60) -> None:
    """Wait for what the workflows do to show (in the store, in the mail)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "it never showed"
        await asyncio.sleep(0.2)


async def test_in_december_the_store_holds_this_year_running_and_next_year_to_approve(
    env: WorkflowEnvironment,
    tmp_path: Path,
    sessions: SessionFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The test server registers no custom search attributes.
    monkeypatch.setattr(
        dev, "import_plans", partial(plans.import_plans, with_search_attributes=False)
    )
    mailer = RecordingMailer()
    async with running_worker(env.client, sessions, mailer) as queue:
        settings = Settings(data_dir=tmp_path, task_queue=queue)
        await dev._first_start(settings, sessions, env.client, now=DECEMBER)

        def cycles() -> dict[int, list[Cycle]]:
            with sessions() as session:
                rows = session.exec(select(Cycle)).all()
            return {year: [row for row in rows if row.year == year] for year in (2026, 2027)}

        await until(
            lambda: (
                len(cycles()[2026]) == len(cycles()[2027]) == 5
                and all(row.phase == "executing" for row in cycles()[2026])
            )
        )
        this_year, next_year = cycles()[2026], cycles()[2027]
        assert {row.portfolio for row in next_year} == PORTFOLIOS
        assert all(row.approved_at is not None for row in this_year)
        assert all(row.phase == "planning" and row.approved_at is None for row in next_year)
        with sessions() as session:
            versions = session.exec(select(PlanVersion).where(PlanVersion.year == 2027)).all()
        assert {v.document["plans"][0]["approve_by"] for v in versions} == {"2026-12-15"}
        assert all(v.status != "approved" for v in versions)
        for portfolio in sorted(PORTFOLIOS):
            handle = env.client.get_workflow_handle(cycle_workflow_id(portfolio, 2027))
            view = await handle.query(PortfolioCycleWorkflow.view)
            assert view.phase == Phase.planning and view.submitted_at is not None, portfolio
            assert view.approved_at is None

        def invited_to(uid: str) -> set[str]:
            return {
                str(message["To"])
                for message in mailer.sent
                for part in message.walk()
                if part.get_content_type() == "text/calendar" and uid in part.get_content()
            }

        training = "restauration/2027/formation-saisonnalite"
        assert invited_to(training) == set()  # nobody is invited before the direction approves
        await plans.approve_plan(env.client, "restauration", 2027, "dgs")
        await until(lambda: len(invited_to(training)) == 3, timeout=30)
        assert any("paul.durand@" in to for to in invited_to(training))


async def test_the_first_start_stores_the_demo_contracts_of_the_year_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = store_with(demo(), tmp_path)
    recorded = Recorded()
    monkeypatch.setattr(dev, "import_plans", recorded.import_plans)
    monkeypatch.setattr(dev, "submit_plan", recorded.submit)
    monkeypatch.setattr(dev, "approve_plan", recorded.approve)
    await dev._first_start(Settings(data_dir=tmp_path), sessions, client=None, now=JUNE)
    with sessions() as session:
        stored = session.exec(select(DecpContract).order_by(DecpContract.notified)).all()
    # examples/demo-decp.json moved to 2026: by 1 June, the six contracts notified from 18 January
    # to 10 May 2026 (D007 comes on 7 June).
    assert [row.contract_id for row in stored] == [f"2027-D00{n}" for n in range(1, 7)]
    assert [row.notified for row in stored][0] == "2026-01-18"
