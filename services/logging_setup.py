"""Log lines as text (a person at a terminal) or JSON (a deployment's collector), secrets out."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

# API tokens, page sessions and calendar feeds (services/tokens.py, services/feeds.py), and
# whatever follows "Bearer" in a header someone logged.
SECRET_WORDS = re.compile(r"\b(bc[lsf]_)[A-Za-z0-9_-]+|(Bearer\s+)\S+", re.IGNORECASE)
CONTEXT = ("task_id", "person_id")  # passed as `extra=` by the code that knows them


def secret_paths_pattern(prefixes: Iterable[str]) -> re.Pattern[str] | None:
    escaped = [re.escape(prefix) for prefix in prefixes]
    return re.compile("(" + "|".join(escaped) + r")[^\s\"'<>]+") if escaped else None


def redact(text: str, paths: re.Pattern[str] | None) -> str:
    """`text` with every link that is a credential and every token cut to its prefix."""
    if paths is not None:
        text = paths.sub(lambda found: found.group(1) + "…", text)
    return SECRET_WORDS.sub(lambda found: (found.group(1) or found.group(2)) + "…", text)


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the task and person."""

    def __init__(self, secret_paths: Iterable[str] = ()) -> None:
        super().__init__()
        self.paths = secret_paths_pattern(secret_paths)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage(), self.paths),
        }
        for name in CONTEXT:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = str(value)
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info), self.paths)
        return json.dumps(line, ensure_ascii=False)


class RedactText(logging.Formatter):
    """The text lines, with the same secrets cut out as in JSON."""

    def __init__(self, secret_paths: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.paths = secret_paths_pattern(secret_paths)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.paths)


def formatter_config(log_format: str, secret_paths: Iterable[str]) -> dict[str, Any]:
    """A dictConfig formatter for BOUCLE_LOG_FORMAT (json or text)."""
    factory = JsonLines if log_format == "json" else RedactText
    return {"()": factory, "secret_paths": tuple(secret_paths)}


def logging_config(
    log_format: str, secret_paths: Iterable[str], base: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A dictConfig: every logger (uvicorn's, when `base` is its config) on stderr at INFO."""
    config: dict[str, Any] = {"version": 1, "disable_existing_loggers": False, **(base or {})}
    formatters = dict(config.get("formatters", {}))
    formatters["boucle"] = formatter_config(log_format, secret_paths)
    if log_format == "json":  # uvicorn's own lines become JSON objects too
        formatters = {name: formatters["boucle"] for name in formatters}
    config["formatters"] = formatters
    handlers = dict(config.get("handlers", {}))
    handlers["boucle"] = {
        "class": "logging.StreamHandler",
        "formatter": "boucle",
        "stream": "ext://sys.stderr",
    }
    config["handlers"] = handlers
    config["root"] = {"handlers": ["boucle"], "level": "INFO"}
    return config


def configure_logging(log_format: str, secret_paths: Iterable[str]) -> None:
    """Set this process's logging (the worker's; the API's goes through uvicorn's config)."""
    import logging.config

    logging.config.dictConfig(logging_config(log_format, secret_paths))
