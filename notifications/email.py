"""Assemble a MIME message: text and HTML alternatives, and an iTIP calendar part.

The message is written straight into the bytes that go over SMTP. Its shape is always the
same few parts, so it is written part by part with C-speed encoders (binascii's
quoted-printable and base64) instead of the `email` package's generator, which re-encodes
every header and quoted-printable-encodes bodies one character at a time in Python: that
was the largest share of an email's cost when a thousand reminders fell due at once.
tests/notifications/test_email.py checks that mail clients read the same message as the
`email` package would have written.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr
from typing import cast

from notifications.render import RenderedMessage

CRLF = b"\r\n"
# What could end a header line or hide in one: C0, DEL, C1 and Unicode line separators.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
ADDRESS_SAFE = re.compile(r"[!-;=?-~]+@[!-;=?-~]+")  # printable ASCII, no space, no < or >


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
    # "=_" never occurs in quoted-printable or base64 text, so no body can hold a boundary.
    tag = hashlib.sha256(message_id_value.encode()).hexdigest()[:24]
    alternative_boundary = f"=_alternative_{tag}"
    parts = [_text(rendered.text, "text/plain"), _text(rendered.html, "text/html")]
    if calendar is not None and calendar_method:
        parts.append(
            _text(calendar.decode("utf-8"), "text/calendar", f'; method="{calendar_method}"')
        )
    body = _multipart(alternative_boundary, parts)
    content_type = f'multipart/alternative;\r\n boundary="{alternative_boundary}"'
    if calendar is not None and calendar_method:
        mixed_boundary = f"=_mixed_{tag}"
        filename = "invite.ics" if calendar_method != "CANCEL" else "cancel.ics"
        attachment = CRLF.join(
            [
                b"Content-Type: application/ics",
                b"Content-Transfer-Encoding: base64",
                f'Content-Disposition: attachment; filename="{filename}"'.encode(),
                b"",
                base64.encodebytes(calendar).replace(b"\n", CRLF),
            ]
        )
        alternatives = (f"Content-Type: {content_type}".encode(), CRLF, CRLF, body)
        body = _multipart(mixed_boundary, [b"".join(alternatives), attachment])
        content_type = f'multipart/mixed;\r\n boundary="{mixed_boundary}"'
    subject = one_line(rendered.subject)
    if not subject.isascii() or "=?" in subject or len(subject) > 78 - len("Subject: "):
        subject = encoded_words(subject, room=78 - len("Subject: "))
    headers = [
        f"Subject: {subject}",
        _address("From", *sender),
        _address("To", *recipient),
        f"Message-ID: {message_id_value}",
        f"Date: {format_datetime(date)}",
        "Auto-Submitted: auto-generated",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
    ]
    data = "\r\n".join(headers).encode("ascii") + CRLF + CRLF + body
    return Mail(sender=sender[1], recipients=(recipient[1],), data=data)


def one_line(text: str) -> str:
    """`text` with every run of control characters made a space: it can never end a header."""
    return CONTROL_CHARACTERS.sub(" ", text)


def _address(field: str, name: str, address: str) -> str:
    """An address header, its name encoded when not ASCII, the address folded onto its own
    line when the name leaves it no room."""
    # Plans and the API refuse these already; a header is written here, so check here too.
    if not ADDRESS_SAFE.fullmatch(address):
        raise ValueError(f"refusing to write {field}: {address!r} is not an email address")
    name = one_line(name)
    if name.isascii():
        line = f"{field}: {formataddr((name, address))}"
    else:
        # One encoded word, however long: some readers (Python's among them) put a space
        # between the words of a name split in several.
        line = f"{field}: {encoded_words(name, room=998)} <{address}>"
    if len(line.rpartition("\r\n")[2]) > 78:
        head, _, mailbox = line.rpartition(" <")
        line = f"{head}\r\n <{mailbox}"
    return line


# RFC 2047 "Q" encoding with the characters allowed in a phrase (5.3), which also suits a
# subject: letters, digits and !*+-/ stay as they are, a space becomes "_".
PHRASE_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
Q_ENCODED = [
    "_" if byte == 0x20 else chr(byte) if byte in PHRASE_SAFE else f"={byte:02X}"
    for byte in range(256)
]
WORD_FRAME = len("=?utf-8?q??=")


def encoded_words(text: str, room: int) -> str:
    """`text` as RFC 2047 encoded words: the first fits in `room` characters, the next ones
    go on folded lines of at most 78; no character is split between two words."""
    words: list[str] = []
    current: list[str] = []
    size, limit = 0, room - WORD_FRAME
    for character in text:
        token = "".join(Q_ENCODED[byte] for byte in character.encode("utf-8"))
        if current and size + len(token) > limit:
            words.append("".join(current))
            current, size, limit = [], 0, 78 - 1 - WORD_FRAME
        current.append(token)
        size += len(token)
    words.append("".join(current))
    return "\r\n ".join(f"=?utf-8?q?{word}?=" for word in words)


def _text(body: str, content_type: str, parameters: str = "") -> bytes:
    """One text part, with CRLF line ends (soft breaks included).

    Quoted-printable keeps French text readable in a raw message; base64 would not.
    """
    # A bare CR is a line end too, as mail clients take it.
    lines = body.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(lines, quotetabs=False, istext=True, header=False)
    return CRLF.join(
        [
            f'Content-Type: {content_type}; charset="utf-8"{parameters}'.encode(),
            b"Content-Transfer-Encoding: quoted-printable",
            b"",
            encoded.replace(b"\n", CRLF),
        ]
    )


def _multipart(boundary: str, parts: list[bytes]) -> bytes:
    delimiter = b"--" + boundary.encode()
    chunks = []
    for part in parts:
        chunks += [delimiter, CRLF, part, CRLF]
    chunks += [delimiter, b"--", CRLF]
    return b"".join(chunks)
