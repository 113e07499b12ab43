"""A live `boucle dev` stack for browser journeys, and the mail it sends, read as people do.

The stack is `boucle dev` itself, run as a child process in a folder of its own with free
ports for the API, Temporal and SMTP; the mail catcher writes each message to `mail/` as an
.eml file, which `Mailbox` reads (and names by the outbox row its Message-ID belongs to).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import parseaddr
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
BOUCLE = Path(sys.executable).with_name("boucle")
URL = re.compile(r"https?://[^\s\"'<>]+")
VIEW_LABELS = ("Voir dans Boucle", "See in Boucle", "View in Boucle")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def poll(what: str, check: Callable[[], T | None], timeout: float = 30.0, every: float = 0.2) -> T:
    """The first truthy answer of `check`, asked until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(every)


class _Links(HTMLParser):
    """Every href of an HTML part, with the text of its anchor."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[str, str]] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a":
            self._open.append([href or ""])
        elif href:
            self.anchors.append((href, ""))

    def handle_data(self, data: str) -> None:
        for anchor in self._open:
            anchor.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            href, *text = self._open.pop()
            self.anchors.append((href, " ".join("".join(text).split())))


@dataclass
class Mail:
    """One .eml file of the mail folder, with what its outbox row says it is."""

    path: Path
    message: EmailMessage
    type: str = ""
    task_id: str | None = None
    cycle_id: str | None = None
    person_id: str = ""
    anchors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def to(self) -> str:
        return parseaddr(str(self.message.get("To", "")))[1].lower()

    @property
    def message_id(self) -> str:
        return str(self.message.get("Message-ID", "")).strip()

    def part(self, kind: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == kind and part.get_filename() is None:
                return str(part.get_content())  # type: ignore[attr-defined]
        return ""

    @property
    def text(self) -> str:
        return self.part("text/plain")

    @property
    def html(self) -> str:
        return self.part("text/html")

    def calendars(self) -> list[str]:
        """Every iCalendar the message carries, inline or attached."""
        found = []
        for part in self.message.walk():
            if part.get_content_type() in ("text/calendar", "application/ics"):
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    found.append(payload.decode("utf-8"))
        return found

    def links(self) -> set[str]:
        """Every link of the text and HTML parts."""
        found = {m.group(0).rstrip(".,;)") for m in URL.finditer(self.text)}
        found |= {m.group(0).rstrip(".,;)") for m in URL.finditer(self.html)}
        found |= {href for href, _ in self.anchors if href.startswith(("http://", "https://"))}
        return found

    def view_link(self) -> str:
        """The "Voir dans Boucle" link, the same in the HTML and the text part."""
        html = [href for href, text in self.anchors if text in VIEW_LABELS]
        plain = [
            m.group(0)
            for line in self.text.splitlines()
            if line.strip().startswith(VIEW_LABELS)
            for m in URL.finditer(line)
        ]
        assert html, f"no 'Voir dans Boucle' link in the HTML part of {self.path.name}"
        assert plain == html[:1], f"{self.path.name}: text part says {plain}, HTML {html}"
        return html[0]


class Mailbox:
    """The mail folder of a running stack, read as each message arrives."""

    def __init__(self, folder: Path, database: Path, log: Path | None = None) -> None:
        self.folder = folder
        self.database = database
        self.log = log
        self._read: dict[str, Mail] = {}

    def _rows(self) -> dict[str, tuple[str, str | None, str | None, str]]:
        if not self.database.exists():
            return {}
        uri = f"file:{self.database}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
            rows = db.execute(
                "SELECT message_id, type, task_id, cycle_id, person_id FROM notification"
            ).fetchall()
        return {f"<{row[0].strip('<>')}>": tuple(row[1:]) for row in rows}

    def all(self) -> list[Mail]:
        """Every complete message received so far, oldest first."""
        names = sorted(self.folder.glob("*.eml"), key=lambda p: (p.stat().st_mtime, p.name))
        fresh = [p for p in names if p.name not in self._read]
        if fresh:
            rows = self._rows()
            for path in fresh:
                message = message_from_bytes(path.read_bytes(), policy=default)
                if message.defects or not message.is_multipart():
                    continue  # still being written: the next look reads it whole
                assert isinstance(message, EmailMessage)
                mail = Mail(path, message)
                row = rows.get(mail.message_id)
                if row is None:
                    continue  # the catcher saved it before the outbox row committed
                mail.type, mail.task_id, mail.cycle_id, mail.person_id = row
                parser = _Links()
                parser.feed(mail.html)
                mail.anchors = parser.anchors
                self._read[path.name] = mail
        return sorted(self._read.values(), key=lambda m: (m.path.stat().st_mtime, m.path.name))

    def find(self, **wanted: Any) -> list[Mail]:
        """Messages whose fields equal `wanted` (type, to, task_id, cycle_id...)."""
        return [m for m in self.all() if all(getattr(m, k) == v for k, v in wanted.items())]

    def wait(
        self,
        what: str,
        timeout: float = 60.0,
        after: set[str] | None = None,
        match: Callable[[Mail], bool] = lambda mail: True,
        **wanted: Any,
    ) -> Mail:
        """The first message with these fields (not among `after`, paths already seen)."""

        def look() -> Mail | None:
            for mail in self.find(**wanted):
                if (after is None or mail.path.name not in after) and match(mail):
                    return mail
            return None

        try:
            return poll(what, look, timeout)
        except AssertionError as waited:
            raise AssertionError(f"{waited}; the stack's log ends with:\n{self.tail()}") from None

    def tail(self, lines: int = 15) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def names(self) -> set[str]:
        return {mail.path.name for mail in self.all()}


@dataclass
class Stack:
    """A running `boucle dev`: where it serves, where it keeps things, and its process."""

    process: subprocess.Popen[bytes]
    folder: Path
    data: Path
    api_port: int
    temporal_port: int
    smtp_port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def mailbox(self) -> Mailbox:
        return Mailbox(self.data / "mail", self.data / "boucle.db", self.log)

    def tokens(self) -> dict[str, str]:
        """The API token of each person, as `boucle dev` wrote them in tokens.txt."""
        lines = (self.data / "tokens.txt").read_text(encoding="utf-8").splitlines()
        return {line.split("\t")[0]: line.split("\t")[2] for line in lines if line.strip()}

    def api(self, path: str, person: str, method: str = "GET", body: Any = None) -> Any:
        """An API call with the person's token; the JSON answer."""
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Bearer {self.tokens()[person]}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        uri = f"file:{self.data / 'boucle.db'}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
            return db.execute(query, args).fetchall()

    def workflow_status(self, workflow_id: str) -> str:
        """The status of a workflow on this stack's Temporal server (COMPLETED, RUNNING,
        NOT_FOUND...)."""
        temporal = Path(sys.executable).with_name("temporal")
        answer = subprocess.run(
            [
                str(temporal),
                "workflow",
                "describe",
                "--address",
                f"127.0.0.1:{self.temporal_port}",
                "--workflow-id",
                workflow_id,
                "--output",
                "json",
            ],
            capture_output=True,
            timeout=30,
        )
        if answer.returncode != 0:
            return "NOT_FOUND"  # not started (yet), or not on this server
        info = json.loads(answer.stdout)["workflowExecutionInfo"]
        return str(info["status"]).removeprefix("WORKFLOW_EXECUTION_STATUS_")

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"boucle dev exited ({self.process.returncode}):\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


TEMPORAL_CONFIG = """\
ip: 127.0.0.1
port: {port}
ui: false
namespace: default
db_filename: {db}
sqlite_pragmas: {{journal_mode: wal, synchronous: normal}}
search_attributes: {{Portfolio: Keyword, CycleYear: Int, CyclePhase: Keyword}}
log_level: warn
"""


def _environment(data: Path, api_port: int, smtp_port: int) -> dict[str, str]:
    """This environment without the caller's Boucle settings, and this stack's own."""
    kept = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BOUCLE_") and key != "DATABASE_URL"
    }
    return {
        **kept,
        "BOUCLE_DATA_DIR": str(data),
        "BOUCLE_API_PORT": str(api_port),
        "BOUCLE_SMTP_PORT": str(smtp_port),
        "PYTHONUNBUFFERED": "1",
    }


@contextlib.contextmanager
def boucle_dev(folder: Path, timeout: float = 120.0) -> Iterator[Stack]:
    """`boucle dev` in `folder`, until the block ends; then stopped as Ctrl-C stops it."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    ports = {free_port() for _ in range(3)}
    while len(ports) < 3:
        ports.add(free_port())
    api_port, temporal_port, smtp_port = sorted(ports)
    config = folder / "temporal-dev.yaml"
    config.write_text(
        TEMPORAL_CONFIG.format(port=temporal_port, db=folder / "temporal.db"), encoding="utf-8"
    )
    log = folder / "boucle-dev.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(BOUCLE), "dev", "--config", str(config)],
            cwd=folder,  # no .env of the developer's is read
            env=_environment(data, api_port, smtp_port),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the dev server goes with it
        )
    stack = Stack(process, folder, data, api_port, temporal_port, smtp_port, log)

    def running() -> bool:
        stack.alive()
        return "Boucle is running." in log.read_text(errors="replace")

    try:
        poll("boucle dev to say it is running", running, timeout, every=0.25)
        _check_ours(stack)
        yield stack
    finally:
        _stop(process)


def _check_ours(stack: Stack) -> None:
    """The servers answering on these ports are this stack's, not someone else's."""
    with urllib.request.urlopen(f"{stack.base}/health", timeout=10) as answer:
        health = json.loads(answer.read())
    assert health["status"] == "ok", health
    # Only our API knows the tokens our data folder holds.
    me = stack.api("/me", "qdd")
    assert me["id"] == "qdd", me
    assert (stack.data / "temporal-cluster-id").exists()  # boucle dev checked its dev server
    for port in (stack.api_port, stack.temporal_port, stack.smtp_port):
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    stack.alive()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # boucle dev stops its dev server and catcher
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    # Whatever of its group outlived it (the dev server, if it would not stop).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def http_error(url: str) -> int | None:
    """The HTTP status of a GET without credentials, or None when it answered 2xx/3xx."""
    try:
        with urllib.request.urlopen(url, timeout=10):
            return None
    except urllib.error.HTTPError as error:
        return error.code


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF that says `text`, with a correct cross-reference table."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
