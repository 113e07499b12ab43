"""Secrets on disk are the owner's alone from their first byte; a short signing key stops start."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from boucle import dev, temporal
from boucle.cli import app
from boucle.planfile import read_plan_file
from domain.demo import live_demo
from services import temporal as client_connection
from services.settings import Settings
from tests.engine.support import store_with

# Each time the process touches a file, every file of the folder is looked at: a secret that
# is readable by others for a moment shows up in the modes seen.
WATCHED = textwrap.dedent("""
    import json, os, stat, sys
    from pathlib import Path
    folder = Path(sys.argv[1])
    seen = set()

    def look(event, args):
        if event in ("open", "os.chmod", "os.link", "os.rename") and folder.exists():
            for path in folder.iterdir():
                try:
                    seen.add(stat.S_IMODE(path.lstat().st_mode))
                except FileNotFoundError:
                    pass

    os.umask(0o022)
    sys.addaudithook(look)
    from services.settings import Settings
    key = Settings(data_dir=folder, secret_key="").link_secret
    again = Settings(data_dir=folder, secret_key="").link_secret
    print(json.dumps({"modes": sorted(seen), "same": key == again, "length": len(key)}))
""")


def test_secret_key_file_is_never_readable_by_others_even_for_a_moment(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    completed = subprocess.run(
        [sys.executable, "-c", WATCHED, str(folder)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    seen = json.loads(completed.stdout)
    assert seen["modes"] == [0o600]  # the old write_text, then chmod, showed 0o644 first
    assert seen["same"] and seen["length"] >= 43
    assert stat.S_IMODE((folder / "secret.key").stat().st_mode) == 0o600
    assert [path.name for path in folder.iterdir()] == ["secret.key"]  # no temporary left


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


async def test_the_dev_tokens_file_is_private_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loose_umask: None
) -> None:
    document = live_demo(read_plan_file(dev.DEMO_PLAN), datetime.now(UTC))
    sessions = store_with(document, tmp_path)

    async def no_plans(*args: Any, **options: Any) -> list[Any]:
        return []

    monkeypatch.setattr(dev, "import_plans", no_plans)
    await dev._first_start(Settings(data_dir=tmp_path), sessions, client=None)
    tokens = tmp_path / "tokens.txt"
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600  # followed the umask: 0o644
    assert tokens.read_text().count("\tbcl_") == len(document.people)


@pytest.mark.parametrize("command", [["worker"], ["api"], ["dev"], ["token", "list"]])
def test_a_secret_key_shorter_than_32_bytes_is_refused_at_start(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOUCLE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BOUCLE_SECRET_KEY", "s3cret-mais-court")
    started: list[str] = []  # had the check been missed, nothing would really start

    async def reached(*args: Any) -> None:
        started.append(command[0])
        raise ConnectionError("not in this test")

    monkeypatch.setattr(uvicorn, "run", lambda *args, **options: started.append("api"))
    monkeypatch.setattr(temporal, "run_event_loop", asyncio.run)
    monkeypatch.setattr(client_connection, "connect", reached)
    monkeypatch.setattr(dev, "run_dev", reached)
    result = CliRunner().invoke(app, command)
    assert started == []
    assert result.exit_code == 1
    assert result.output.removeprefix("erreur : ") == (  # `boucle dev` says "erreur :" first
        "boucle cannot start:\n"
        "  BOUCLE_SECRET_KEY is 17 bytes long: it signs the one-click links and needs at least "
        "32 (python -c 'import secrets; print(secrets.token_urlsafe(32))'), the same on every "
        "worker and API replica\n"
    )
    assert "s3cret-mais-court" not in result.output
    monkeypatch.setenv("BOUCLE_SECRET_KEY", "é" * 16)  # 32 bytes: enough
    from services.settings import get_settings

    get_settings.cache_clear()
    assert get_settings().link_secret == "é" * 16
