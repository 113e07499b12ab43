"""Assemble a MIME message: text and HTML alternatives, and an iTIP calendar part."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from notifications.render import RenderedMessage


def message_id(key: str, domain: str) -> str:
    """A Message-ID derived from the idempotency key: a resend is recognisably the same mail."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def build_email(
    rendered: RenderedMessage,
    *,
    sender: tuple[str, str],
    recipient: tuple[str, str],
    message_id_value: str,
    date: datetime,
    calendar: bytes | None = None,
    calendar_method: str | None = None,
) -> EmailMessage:
    """A multipart message; a calendar travels inline (for Outlook) and as invite.ics."""
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = Address(display_name=sender[0], addr_spec=sender[1])
    message["To"] = Address(display_name=recipient[0], addr_spec=recipient[1])
    message["Message-ID"] = message_id_value
    message["Date"] = format_datetime(date)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    if calendar is not None and calendar_method:
        message.add_alternative(
            calendar.decode("utf-8"),
            subtype="calendar",
            charset="utf-8",
            params={"method": calendar_method},
        )
        filename = "invite.ics" if calendar_method != "CANCEL" else "cancel.ics"
        message.add_attachment(calendar, maintype="application", subtype="ics", filename=filename)
    return message
