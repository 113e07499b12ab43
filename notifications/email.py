"""Assemble a MIME message: text and HTML alternatives, and an iTIP calendar part.

The message is flattened once, here, into the bytes that go over SMTP. Building it with the
classic `email.mime` classes and handing bytes to the SMTP client avoids the modern policy's
header parsing and refolding, which cost more than everything else a burst of reminders does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email import charset, policy
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.parser import BytesParser
from email.utils import format_datetime, formataddr
from typing import cast

from notifications.render import RenderedMessage

# Quoted-printable keeps French text readable in a raw message; base64 would not.
UTF8 = charset.Charset("utf-8")
UTF8.header_encoding = charset.QP
UTF8.body_encoding = charset.QP
WIRE = policy.compat32.clone(linesep="\r\n")


@dataclass(frozen=True)
class Mail:
    """One message as it travels: envelope addresses and the bytes of the message."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes

    def __bytes__(self) -> bytes:
        return self.data

    def parsed(self) -> EmailMessage:
        """The message as a mail client reads it (for tests and previews)."""
        return cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(self.data))


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
) -> Mail:
    """A multipart message; a calendar travels inline (for Outlook) and as invite.ics."""
    alternatives = MIMEMultipart("alternative")
    alternatives.attach(_text(rendered.text, "plain"))
    alternatives.attach(_text(rendered.html, "html"))
    root: Message = alternatives
    if calendar is not None and calendar_method:
        inline = _text(calendar.decode("utf-8"), "calendar")
        inline.set_param("method", calendar_method)
        alternatives.attach(inline)
        filename = "invite.ics" if calendar_method != "CANCEL" else "cancel.ics"
        attachment = MIMEApplication(calendar, "ics")
        attachment.add_header("Content-Disposition", "attachment", filename=filename)
        root = MIMEMultipart("mixed")
        root.attach(alternatives)
        root.attach(attachment)
    root["Subject"] = Header(rendered.subject, UTF8, header_name="Subject").encode()
    root["From"] = formataddr(sender, UTF8)
    root["To"] = formataddr(recipient, UTF8)
    root["Message-ID"] = message_id_value
    root["Date"] = format_datetime(date)
    root["Auto-Submitted"] = "auto-generated"
    return Mail(sender=sender[1], recipients=(recipient[1],), data=root.as_bytes(policy=WIRE))


def _text(body: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(body, UTF8)
    return part
