"""What the API writes about requests: a one-click link is a credential, never logged whole."""

from __future__ import annotations

import copy
import logging
from typing import Any

LINKS = "/act/"
SECRET_PATHS = (LINKS, "/calendar/", "/app/sign-in/")  # one-click, feed and sign-in links


def redacted_path(path: str) -> str:
    """The path as logs and the audit trail keep it: `/act/…` instead of the signed link."""
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "…"
    return path


class RedactLinks(logging.Filter):
    """Blank the link out of uvicorn's access lines (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redacted_path(args[2]), *args[3:])
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging settings, with links blanked out of its access log."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_links"] = {"()": RedactLinks}
    config["handlers"]["access"].setdefault("filters", []).append("redact_links")
    return config
