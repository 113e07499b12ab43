"""DECP files through the API: stored once, replaced when modified, the year's figures read."""

from __future__ import annotations

import json
from pathlib import Path

from api.main import create_app
from domain.model import Role
from domain.validation import load_plan
from services.settings import Settings
from services.tokens import create_token
from store.tables import Cycle
from tests.api.test_api import client
from tests.domain.test_decp import OURS, SHAPES
from tests.engine.support import store_with
from tests.plans import plan_text

# The organisation's SIRET and the restauration portfolio's CPV prefix, in the plan file.
PLAN = (
    plan_text('- {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15"}')
    .replace("organisation:\n", f"organisation:\n  sirets: ['{OURS}']\n", 1)
    .replace("buyers: [resto]}", "buyers: [resto], cpv: ['15']}", 1)
)


PEOPLE = {Role.officer: "qdd", Role.direction: "dgs", Role.buyer: "resto"}


def _app(tmp_path: Path):  # noqa: ANN202
    sessions = store_with(load_plan(PLAN), tmp_path)
    with sessions() as session:
        tokens = {
            role: create_token(session, person, f"{role} test") for role, person in PEOPLE.items()
        }
        session.commit()
    return create_app(Settings(data_dir=tmp_path), sessions=sessions), tokens


def _upload(text: str, name: str = "nord.json") -> dict:
    return {"files": {"file": (name, text.encode(), "application/json")}}


async def test_a_file_is_stored_once_and_a_modified_contract_replaces_its_version(
    tmp_path: Path,
) -> None:
    app, tokens = _app(tmp_path)
    modified = json.loads(SHAPES["official.json"])
    modified["marches"]["marche"][0]["considerationsSociales"] = {
        "considerationSociale": ["Pas de considération sociale"]
    }
    async with app.router.lifespan_context(app), client(app, tokens[Role.officer]) as officer:
        first = await officer.post("/decp?year=2026", **_upload(SHAPES["official.json"]))
        again = await officer.post("/decp?year=2026", **_upload(SHAPES["official.json"]))
        changed = await officer.post("/decp?year=2026", **_upload(json.dumps(modified)))
        figures = await officer.get("/decp/2026")
    # The plan's SIRET keeps five of the seven records: another buyer's and a 2025 one go.
    assert first.json() == {"added": 5, "replaced": 0, "unchanged": 0, "records": 7,
                            "left_out": 2, "skipped": []}  # fmt: skip
    assert (again.json()["added"], again.json()["unchanged"]) == (0, 5)
    assert (changed.json()["replaced"], changed.json()["unchanged"]) == (1, 4)
    summary = figures.json()
    # 2026-001 lost its social clause: only 2026-003 has a social consideration now.
    assert summary["indicators"]["decp.social"]["count"] == 1
    assert summary["indicators"]["decp.social"]["contracts"] == [f"{OURS}2026-003"]
    # Restauration's CPV prefix 15 is contract 2026-002 (300 000 €, no social: an art. 35 gap).
    restauration = summary["portfolios"]["restauration"]
    assert (restauration["contracts"], restauration["amount"]) == (1, 300000)
    assert [g["id"] for g in restauration["art35_gaps"]] == ["2026-002"]


async def test_a_file_with_a_bad_record_stores_nothing_and_says_where(tmp_path: Path) -> None:
    app, tokens = _app(tmp_path)
    bad = json.loads(SHAPES["official.json"])
    bad["marches"]["marche"][3]["montant"] = "beaucoup"
    async with app.router.lifespan_context(app), client(app, tokens[Role.officer]) as officer:
        refused = await officer.post("/decp?year=2026", **_upload(json.dumps(bad)))
        empty = await officer.get("/decp/2026")
        kept = await officer.post("/decp?year=2026&skip_invalid=true", **_upload(json.dumps(bad)))
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "record": 4,
            "field": "montant",
            "message": "« beaucoup » n'est pas un montant en euros HT positif",
            "text": "nord.json:record 4: montant: « beaucoup » n'est pas un montant en euros HT "
            "positif",
        }
    ]
    assert empty.json()["contracts"] == 0
    assert kept.json()["added"] == 4
    assert kept.json()["skipped"] == [refused.json()["errors"][0]["text"]]


async def test_the_direction_reads_the_figures_and_a_buyer_imports_nothing(tmp_path: Path) -> None:
    app, tokens = _app(tmp_path)
    async with app.router.lifespan_context(app):
        async with client(app, tokens[Role.direction]) as direction:
            read = await direction.get("/decp/2026")
            refused = await direction.post("/decp", **_upload(SHAPES["official.json"]))
        async with client(app, tokens[Role.buyer]) as buyer:
            hidden = await buyer.get("/decp/2026")
    assert read.status_code == 200 and refused.status_code == 403 and hidden.status_code == 403


SCORED = PLAN.replace(
    "indicators:\n",
    "indicators:\n"
    "  - {id: part-env, name: Part des marchés avec une considération environnementale,\n"
    "     unit: percent, computed: decp.environmental, scope: organisation, target: 100}\n"
    "  - {id: part-soc-resto, name: Part des marchés de restauration avec une considération "
    "sociale,\n     unit: percent, computed: decp.social, target: 30,\n"
    "     portfolios: [restauration]}\n",
    1,
)


async def test_the_scorecard_reads_the_shares_from_the_stored_contracts(tmp_path: Path) -> None:
    sessions = store_with(load_plan(SCORED), tmp_path)
    with sessions() as session:
        session.add(Cycle(id="restauration/2027", portfolio="restauration", year=2027,
                          phase="executing", workflow_id="cycle:restauration:2027",
                          plan_version=1))  # fmt: skip
        token = create_token(session, "qdd")
        session.commit()
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    # The same contracts, a year later: the plan is 2027's.
    year_on = SHAPES["official.json"].replace("2026-", "2027-").replace("2025-", "2026-")
    async with app.router.lifespan_context(app), client(app, token) as officer:
        before = await officer.get("/cycles/restauration/2027/scorecard")
        await officer.post("/decp", **_upload(year_on))
        after = await officer.get("/cycles/restauration/2027/scorecard")
    figures = {s["indicator"]: s["value"] for s in before.json()["indicators"]}
    assert figures == {"part-env": None, "part-soc-resto": None, "part-bio": None}
    scores = {s["indicator"]: (s["value"], s["status"]) for s in after.json()["indicators"]}
    # Three contracts in five have an environmental consideration; restauration's one (CPV 15,
    # 300 000 €) has no social consideration: 0 % against a target of 30 %.
    assert scores["part-env"][0] == 60.0
    assert scores["part-soc-resto"][0] == 0.0
    assert scores["part-soc-resto"][1] == "off_track"
    # Restauration's contract, notified on 15 September 2027 after art. 35 applies, is a gap.
    assert after.json()["art35_gaps"] == [
        {
            "id": "2027-002",
            "objet": "Marché 2027-002",
            "amount": 300000.0,
            "notified": "2027-09-15",
            "missing": "social",
        }
    ]
