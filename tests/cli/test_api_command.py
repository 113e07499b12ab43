"""`boucle api`: what it hands the HTTP server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from api.logs import RedactLinks
from boucle.cli import app


def test_api_migrates_then_serves_on_the_configured_address_and_the_standard_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda application, **options: served.update(options))
    monkeypatch.setenv("BOUCLE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BOUCLE_DATABASE_URL", raising=False)
    monkeypatch.setenv("BOUCLE_API_PORT", "8123")

    result = CliRunner().invoke(app, ["api"])

    assert result.exit_code == 0, result.output
    # uvicorn would pick uvloop, which workers install; it doubled /me/tasks' p99 (`make bench`).
    logging = served.pop("log_config")
    assert served == {"host": "127.0.0.1", "port": 8123, "loop": "asyncio"}
    assert logging["handlers"]["access"]["filters"] == ["redact_links"]  # links are credentials
    assert logging["filters"]["redact_links"]["()"] is RedactLinks
    tables = inspect(create_engine(f"sqlite:///{tmp_path / 'boucle.db'}")).get_table_names()
    assert {"cycle", "task", "notification"} <= set(tables)
