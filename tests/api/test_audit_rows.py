"""Every write, through the API or the command line, leaves one chained row saying what changed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from api.main import create_app
from boucle.cli import app as cli
from domain.model import Role
from services.settings import Settings
from tests.api.test_roles import seeded


def as_(app: Any, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_every_write_leaves_a_chained_audit_row_with_its_changes_and_the_tokens_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions, tokens = seeded(tmp_path)
    monkeypatch.setenv("BOUCLE_DATABASE_URL", str(sessions.engine.url))
    monkeypatch.setenv("BOUCLE_TEMPORAL_ADDRESS", "127.0.0.1:9")  # nothing listens
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app):
        async with as_(app, tokens[Role.admin]) as admin:
            created = (await admin.post("/tokens", json={"person_id": "resto"})).json()
            promoted = await admin.put(
                "/people/resto",
                json={"name": "Paul Durand", "email": "paul.durand@example.org", "role": "officer"},
            )
            assert promoted.status_code == 200
            assert (await admin.delete(f"/tokens/{created['id']}")).status_code == 200
        async with as_(app, tokens[Role.officer]) as officer:
            huge = await officer.post(
                "/plans",
                content=b"x" * 2_200_000,
                headers={"Content-Type": "application/yaml"},
            )
            assert huge.status_code == 413
        runner = CliRunner()
        made = runner.invoke(cli, ["token", "create", "nett", "--label", "tableur"])
        assert made.exit_code == 0, made.output
        number = made.stderr.split("n° ")[1].split()[0]
        assert runner.invoke(cli, ["token", "revoke", number]).exit_code == 0
        values = tmp_path / "valeurs.csv"
        values.write_text("indicator;portfolio;period;value\npart-bio;restauration;2027-T2;18,5\n")
        assert runner.invoke(cli, ["values", "import", str(values), "--by", "qdd"]).exit_code == 0
        approve = ["plan", "approve", "restauration", "2027", "--as", "dgs"]
        refused = await asyncio.to_thread(runner.invoke, cli, approve)  # a loop of its own
        assert refused.exit_code == 1 and "connect" in refused.stderr  # the engine is down
        async with as_(app, tokens[Role.officer]) as officer:
            trail = (await officer.get("/audit")).json()
    rows = [(r["origin"], r["person_id"], r["action"], r["target"], r["status"]) for r in trail]
    assert rows == [
        ("api", "adm", "create_token", f"token/{created['id']}", 201),
        ("api", "adm", "write_person", "resto", 200),
        ("api", "adm", "delete_token", str(created["id"]), 200),
        ("api", "qdd", "unknown", None, 413),
        ("cli", None, "token_create", "nett", 0),
        ("cli", None, "token_revoke", f"token/{number}", 0),
        ("cli", "qdd", "values_import", "valeurs.csv", 0),
        ("cli", "dgs", "plan_approve", "restauration/2027", 1),
    ]
    assert trail[0]["changes"][f"token/{created['id']}"]["person_id"] == [None, "resto"]
    assert trail[1]["changes"] == {"person/resto": {"role": ["buyer", "officer"]}}
    revoked = trail[2]["changes"][f"token/{created['id']}"]
    assert revoked["person_id"] == ["resto", "resto"] and revoked["revoked_at"][0] is None
    assert trail[4]["changes"][f"token/{number}"]["label"] == [None, "tableur"]
    assert trail[5]["changes"][f"token/{number}"]["person_id"] == ["nett", "nett"]
    assert trail[6]["changes"] == {"values/valeurs.csv": {"stored": [None, 1]}}
    assert trail[4]["path"].startswith("boucle token create (")
    assert [r["sequence"] for r in trail] == list(range(1, 9))
    assert all(r["previous_hash"] == p["hash"] for p, r in zip(trail, trail[1:], strict=False))
    whole = CliRunner().invoke(cli, ["audit", "verify"])
    assert whole.exit_code == 0 and "intègre : 8 ligne(s)" in whole.stdout


def test_boucle_audit_verify_names_the_first_broken_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import text

    sessions, _ = seeded(tmp_path)
    monkeypatch.setenv("BOUCLE_DATABASE_URL", str(sessions.engine.url))
    runner = CliRunner()
    for person in ("resto", "nett", "dgs", "qdd"):
        assert runner.invoke(cli, ["token", "create", person]).exit_code == 0
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    with sessions.engine.begin() as connection:
        connection.execute(text("UPDATE auditentry SET target = 'adm' WHERE sequence = 2"))
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "rompue à la ligne 2" in broken.stderr and "modifié" in broken.stderr
    with sessions.engine.begin() as connection:
        connection.execute(text("UPDATE auditentry SET target = 'nett' WHERE sequence = 2"))
        connection.execute(text("DELETE FROM auditentry WHERE sequence = 3"))
    missing = runner.invoke(cli, ["audit", "verify"])
    assert missing.exit_code == 1 and "ligne 3" in missing.stderr and "manque" in missing.stderr
