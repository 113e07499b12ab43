"""An SMTP server in a process of its own that writes each message's Message-ID to a file:
what reached it, to count what was lost and what came twice."""

from __future__ import annotations

import sys
import time
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path: Path) -> None:
        self.out = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as the process
        self.parser = BytesHeaderParser(policy=default)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.out.write(f"{self.parser.parsebytes(envelope.content)['Message-ID']}\n")
        return "250 OK"


if __name__ == "__main__":
    port, path = int(sys.argv[1]), Path(sys.argv[2])
    controller = Controller(Recorder(path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()
