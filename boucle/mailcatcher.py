"""A local SMTP server that saves each message as an .eml file (for `boucle dev`)."""

from __future__ import annotations

import hashlib
import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class SaveToFolder:
    """aiosmtpd handler: one file per Message-ID, so a resent message is not saved twice."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=default)
        identity = str(message.get("Message-ID") or hashlib.sha256(raw).hexdigest())
        subject = re.sub(r"[^\w-]+", "-", str(message.get("Subject") or "sans-objet"))[:60]
        stamp = hashlib.sha256(identity.encode()).hexdigest()[:12]
        with (self.folder / "received.log").open("a", encoding="utf-8") as log:
            # Every receipt, duplicates included: what proves that nothing was sent twice.
            log.write(f"{identity}\t{','.join(envelope.rcpt_tos)}\t{subject}\n")
        for recipient in envelope.rcpt_tos:
            who = re.sub(r"[^\w.@-]+", "_", recipient)
            target = self.folder / f"{subject}--{who}--{stamp}.eml"
            if not target.exists():
                target.write_bytes(raw)
        return "250 Message accepted for delivery"


def start_mail_catcher(folder: Path, host: str, port: int) -> Controller:
    controller = Controller(SaveToFolder(folder), hostname=host, port=port)
    controller.start()
    return controller
