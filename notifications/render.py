"""Render a message type in a locale: subject, plain text and HTML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from notifications.messages import MessageType

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOCALES = ("fr", "en")


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=8)
def environment(override: str | None = None) -> SandboxedEnvironment:
    """Templates from the organisation's folder first (when set), then Boucle's own."""
    loaders = [FileSystemLoader(override)] if override else []
    loaders.append(FileSystemLoader(str(TEMPLATES)))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Boucle's own templates change only with a release; checking their files' times
        # before every email cost 3 % of a burst. An organisation's folder is still watched,
        # so an edited template is used from the next email on.
        auto_reload=override is not None,
    )
    return env


@lru_cache(maxsize=32)
def template_locale(locale: str | None) -> str:
    return locale if locale in LOCALES and (TEMPLATES / locale).is_dir() else "fr"


def render(
    message: MessageType,
    locale: str | None,
    context: Mapping[str, Any],
    override: str | None = None,
) -> RenderedMessage:
    """Render `message` for a recipient; the subject is the text template's `subject`."""
    env = environment(override)
    folder = template_locale(locale)
    text_template = env.get_template(f"{folder}/{message.value}.txt")
    html_template = env.get_template(f"{folder}/{message.value}.html")
    values = dict(context)
    module = text_template.make_module(values)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise ValueError(f"template {folder}/{message.value}.txt sets no subject")
    text = str(module).strip() + "\n"
    html = html_template.render(values, subject=subject)
    return RenderedMessage(subject=subject, text=text, html=html)
