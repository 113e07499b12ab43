"""`boucle worker` whose mailer kills its own process (SIGKILL) right after the SMTP server
accepted its Nth message: the one instant a crash can make an email go twice.

Run as `python -m tests.integration.crashing_worker N LOG` with the BOUCLE_* settings of the
worker it stands for. LOG gets a line per message: `start <Message-ID>` before the SMTP call
and `accepted <Message-ID>` after it, each written through to disk before going on.
"""

from __future__ import annotations

import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from boucle.temporal import build_worker, mailer_for, run_event_loop
from notifications.email import Mail
from notifications.smtp import Mailer
from services.settings import get_settings
from services.temporal import connect
from store.database import SessionFactory, make_engine, migrate


class KillingMailer:
    def __init__(self, inner: Mailer, kill_after: int, log: Path) -> None:
        self.inner = inner
        self.kill_after = kill_after
        self.accepted = 0
        self.log = open(log, "a", buffering=1)  # noqa: SIM115 - lives as long as the process

    def _write(self, line: str) -> None:
        self.log.write(line + "\n")
        self.log.flush()
        os.fsync(self.log.fileno())

    async def send(self, mail: Mail) -> None:
        message_id = mail.parsed()["Message-ID"]
        self._write(f"start {message_id}")
        await self.inner.send(mail)
        self._write(f"accepted {message_id}")
        self.accepted += 1
        if self.accepted == self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)  # accepted by SMTP, not yet marked sent


async def main(kill_after: int, log: Path) -> None:
    settings = get_settings()
    engine = make_engine(settings.database)
    migrate(engine)
    client = await connect(settings)
    mailer = KillingMailer(mailer_for(settings), kill_after, log)
    with ThreadPoolExecutor(max_workers=settings.worker_threads) as executor:
        worker = build_worker(client, settings, SessionFactory(engine), mailer, executor)
        await worker.run()


if __name__ == "__main__":
    run_event_loop(main(int(sys.argv[1]), Path(sys.argv[2])))
