"""A buyer reads indicator values, scorecards and reviews of their own portfolios only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from api.main import create_app
from services.settings import Settings
from services.tokens import create_token
from store.tables import Cycle, IndicatorValue, TaskPerson
from tests.api.test_api import client, stored_pub_task
from tests.engine.support import running_cycle

REVIEW = {"lessons": "Les fournisseurs locaux manquent", "decisions": [], "recorded_by": "qdd"}


async def test_a_buyer_cannot_read_other_portfolios_indicator_values_in_a_scorecard_or_a_cycle(
    tmp_path: Path,
) -> None:
    _, sessions, task = stored_pub_task(tmp_path)
    with sessions() as session:
        cycle: Cycle = running_cycle()
        cycle.scorecard = {"portfolio": "restauration", "indicators": [{"value": 16.5}]}
        cycle.review = REVIEW
        session.add(cycle)
        session.add(
            IndicatorValue(
                indicator_id="part-bio",
                portfolio_id="restauration",
                period="2027-Q2",
                value=16.5,
                recorded_at=datetime.now(UTC),
            )
        )
        # nett attends one of restauration's meetings: their task, not their portfolio.
        session.add(TaskPerson(task_id=task.id, person_id="nett", relation="attendee"))
        session.commit()
        tokens = {who: create_token(session, who) for who in ("resto", "nett", "dgs")}
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app):
        async with client(app, tokens["nett"]) as other_buyer:
            values = await other_buyer.get("/indicators/part-bio/values")
            assert values.json() == []
            card = await other_buyer.get("/cycles/restauration/2027/scorecard")
            assert card.status_code == 403 and card.json()["code"] == "not_your_portfolio"
            detail = (await other_buyer.get("/cycles/restauration/2027")).json()
            assert (detail["scorecard"], detail["review"]) == (None, None)
            assert [t["id"] for t in detail["tasks"]] == [task.id]  # their own task stays
        async with client(app, tokens["resto"]) as buyer:
            card = await buyer.get("/cycles/restauration/2027/scorecard")
            assert card.status_code == 200
            assert card.json()["indicators"][0]["value"] == 16.5
            detail = (await buyer.get("/cycles/restauration/2027")).json()
            assert detail["review"] == REVIEW and detail["scorecard"] is not None
        async with client(app, tokens["dgs"]) as direction:
            assert (await direction.get("/cycles/restauration/2027/scorecard")).status_code == 200
            assert (await direction.get("/cycles/restauration/2027")).json()["review"] == REVIEW
