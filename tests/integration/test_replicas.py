"""Two worker processes and two API replicas sharing only PostgreSQL and the Temporal dev
server: a plan approved through one replica and amended through the other, a token revoked
through one and refused by the other within a second, a worker killed with SIGKILL in the
middle of a burst (every reminder delivered, second copies only of messages in flight), and
a weekly digest fired by both workers at once and sent once."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from boucle.scheduler import iso_week, start_weekly_digest
from domain.tasks import Task
from domain.validation import load_plan
from services.tokens import create_token
from store.database import SessionFactory, make_engine, migrate
from store.plans import save_organisation
from store.tables import ApiToken, Notification
from tests.integration.conftest import Inbox, free_port
from tests.integration.test_dev_server import soon_plan
from workflows.converter import DATA_CONVERTER
from workflows.digest import digest_workflow_id
from workflows.task import TaskWorkflow
from workflows.types import TaskInput, task_workflow_id

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)"
    ),
]
BURST = 80
KILL_AFTER = 20  # reminders of the burst the SMTP server has accepted when worker 1 dies
PORTFOLIO = "repliques"
ADMIN = "  - {id: adm, name: Yves Admin, email: yves.admin@example.org, role: admin}\n"


@pytest.fixture
def postgres_store() -> Iterator[str]:
    """A schema of its own on the test server; the URL every process of the test uses."""
    url = os.environ["TEST_DATABASE_URL"]
    schema = f"boucle_replicas_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{url}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def ours(inbox: Inbox, domain: str) -> list:  # type: ignore[type-arg]
    """The messages this test's processes sent (their Message-IDs end with its domain)."""
    return [m for m in inbox.messages if str(m["Message-ID"]).endswith(f"@{domain}>")]


async def eventually(check, seconds: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds:.0f} s: {what}"
        await asyncio.sleep(0.2)


async def test_two_workers_and_two_api_replicas_share_only_postgresql_and_temporal(
    dev_server: WorkflowEnvironment,
    smtp: tuple[Inbox, int],
    tmp_path: Path,
    postgres_store: str,
) -> None:
    inbox, smtp_port = smtp
    domain = f"replicas-{uuid.uuid4().hex[:6]}.test"
    queue = f"it-replicas-{uuid.uuid4().hex[:6]}"
    plan_text = soon_plan(datetime.now(UTC), PORTFOLIO).replace(
        "role: direction}\n", "role: direction}\n" + ADMIN, 1
    )
    document = load_plan(plan_text)
    engine = make_engine(postgres_store)
    migrate(engine)
    sessions = SessionFactory(engine)
    with sessions() as session:
        save_organisation(session, document)
        session.commit()
        tokens = {p: create_token(session, p) for p in ("qdd", "dgs", "resto", "adm")}
    environment = {
        **os.environ,
        "BOUCLE_DATABASE_URL": postgres_store,
        "BOUCLE_TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
        "BOUCLE_TEMPORAL_NAMESPACE": dev_server.client.namespace,
        "BOUCLE_TASK_QUEUE": queue,
        "BOUCLE_SMTP_PORT": str(smtp_port),
        "BOUCLE_MESSAGE_DOMAIN": domain,
        "BOUCLE_SECRET_KEY": "shared-by-every-replica-" + uuid.uuid4().hex,
        "BOUCLE_SCHEDULER": "false",  # the digest is fired below, by both workers' job
        "BOUCLE_DATA_DIR": str(tmp_path),
    }
    ports = [free_port(), free_port()]

    def start(*args: str, **extra: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "boucle.cli", *args],
            env={**environment, **extra},
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"{args[0]}-{uuid.uuid4().hex[:4]}.log", "wb"),  # noqa: SIM115
        )

    workers = [start("worker"), start("worker")]
    apis = [start("api", BOUCLE_API_PORT=str(port)) for port in ports]
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            for port in ports:
                await wait_healthy(http, port)
            a, b = (f"http://127.0.0.1:{port}" for port in ports)

            def bearer(person: str) -> dict[str, str]:
                return {"Authorization": f"Bearer {tokens[person]}"}

            # 1. Approved through replica A, amended through replica B.
            year = document.plans[0].year
            imported = await http.post(
                f"{a}/plans",
                content=plan_text.encode(),
                headers={**bearer("qdd"), "Content-Type": "application/yaml"},
            )
            assert imported.status_code == 201, imported.text
            submitted = await http.post(
                f"{a}/plans/{PORTFOLIO}/{year}/submit", headers=bearer("qdd")
            )
            assert submitted.status_code == 200, submitted.text
            approved = await http.post(
                f"{a}/plans/{PORTFOLIO}/{year}/approve", headers=bearer("dgs")
            )
            assert approved.status_code == 200, approved.text
            for _ in range(100):  # the cycle starts its year's tasks, then executes
                seen = await http.get(f"{b}/cycles/{PORTFOLIO}/{year}", headers=bearer("qdd"))
                if seen.json().get("phase") == "executing":
                    break
                await asyncio.sleep(0.2)
            assert seen.json()["phase"] == "executing", seen.text
            amended = await http.post(
                f"{b}/plans/{PORTFOLIO}/{year}/amend",
                json={"cancel_items": ["formation"], "reason": "salle indisponible"},
                headers=bearer("qdd"),
            )
            assert amended.status_code == 200, amended.text
            versions = await http.get(
                f"{a}/plans", params={"portfolio": PORTFOLIO}, headers=bearer("qdd")
            )
            assert [(v["version"], v["status"]) for v in versions.json()] == [
                (1, "superseded"),
                (2, "approved"),
            ]

            def cancelled_for_paul() -> bool:
                return any(
                    m["To"] == "Paul Durand <paul.durand@example.org>"
                    and "Formation saisonnalité" in m["Subject"]
                    and any(
                        part.get_content_type() == "text/calendar"
                        and "METHOD:CANCEL" in part.get_content()
                        for part in m.walk()
                    )
                    for m in ours(inbox, domain)
                )

            await eventually(
                cancelled_for_paul,
                30,
                "the session's cancellation to Paul: "
                + repr([(m["To"], m["Subject"]) for m in ours(inbox, domain)]),
            )
            cycle = await http.get(f"{b}/cycles/{PORTFOLIO}/{year}", headers=bearer("qdd"))
            statuses = {t["item"]: t["status"] for t in cycle.json()["tasks"]}
            assert statuses["formation"] == "cancelled"

            # A sign-in link asked for through A, opened on both, works once: on B.
            path = await sign_in_link(a, inbox, domain)
            async with httpx.AsyncClient() as on_a, httpx.AsyncClient() as on_b:
                keys = [
                    await confirm_form(browser, base, path)
                    for browser, base in ((on_a, a), (on_b, b))
                ]
                used = await on_b.post(f"{b}{path}", data={"form_key": keys[1]})
                assert used.status_code == 303, used.text
                again = await on_a.post(f"{a}{path}", data={"form_key": keys[0]})
                assert again.status_code == 409, again.text
                assert "Ce lien de connexion a déjà servi." in again.text

            # 2. A token revoked through A is refused by B within a second.
            assert (await http.get(f"{b}/me", headers=bearer("resto"))).status_code == 200
            with sessions() as session:
                (token_id,) = session.exec(
                    select(ApiToken.id).where(ApiToken.person_id == "resto")
                ).all()
            revoked = await http.delete(f"{a}/tokens/{token_id}", headers=bearer("adm"))
            assert revoked.status_code == 200, revoked.text
            since = time.monotonic()
            while (await http.get(f"{b}/me", headers=bearer("resto"))).status_code == 200:
                await asyncio.sleep(0.02)
            refused_after = time.monotonic() - since
            assert refused_after < 1.0, refused_after
            assert (await http.get(f"{a}/me", headers=bearer("resto"))).status_code == 401

        # 3. A burst of reminders; worker 1 is killed once 20 of them were accepted.
        fire_at = (datetime.now(UTC) + timedelta(seconds=10)).replace(microsecond=0)
        burst_ids = await start_burst(dev_server.client, document, queue, fire_at)

        def burst_received() -> int:
            return sum(1 for m in ours(inbox, domain) if "Action de la rafale" in m["Subject"])

        await eventually(lambda: burst_received() >= KILL_AFTER, 90, "the burst's first emails")
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait(timeout=10)
        in_flight = claimed_not_marked(sessions, burst_ids)

        def all_marked() -> bool:
            return len(sent_rows(sessions, burst_ids)) == BURST

        await eventually(all_marked, 240, "every reminder of the burst marked sent")
        expected = {row.message_id for row in sent_rows(sessions, burst_ids)}
        received = Counter(
            str(m["Message-ID"])
            for m in ours(inbox, domain)
            if "Action de la rafale" in m["Subject"]
        )
        assert set(received) == expected  # every reminder arrived
        twice = {mid for mid, count in received.items() if count > 1}
        assert twice <= in_flight, (twice, in_flight)  # second copies only of those in flight
        assert all(count <= 2 for count in received.values())
        print(
            f"burst of {BURST}: {len(in_flight)} in flight when worker 1 died, "
            f"{len(twice)} received twice"
        )

        # 4. Both workers' job fires the weekly digest at the same instant: it is sent once.
        paris_now = datetime.now(ZoneInfo("Europe/Paris"))
        clients = [
            await Client.connect(
                environment["BOUCLE_TEMPORAL_ADDRESS"],
                namespace=environment["BOUCLE_TEMPORAL_NAMESPACE"],
                data_converter=DATA_CONVERTER,
            )
            for _ in range(2)
        ]
        started = await asyncio.gather(
            *(start_weekly_digest(client, queue, paris_now) for client in clients)
        )
        assert sorted(started) == [False, True]
        week = iso_week(paris_now)
        await dev_server.client.get_workflow_handle(digest_workflow_id(week)).result()
        digests = [m for m in ours(inbox, domain) if is_digest(m["Subject"])]
        # Paul's review is open and late; the formation was cancelled; the burst's tasks began
        # outside any cycle, so the store lists none of them yet: Paul's is the one digest.
        assert [m["To"] for m in digests] == ["Paul Durand <paul.durand@example.org>"]
        assert "Revue de veille" in digests[0].get_body(("plain",)).get_content()
        print(f"token refused by replica B {refused_after * 1000:.0f} ms after its revocation")
    finally:
        for process in [*workers, *apis]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*workers, *apis]:
            process.wait(timeout=30)
        engine.dispose()


async def sign_in_link(base: str, inbox: Inbox, domain: str) -> str:
    """Ask for Claire's sign-in link on the page at `base`; the link's path, from her email."""
    async with httpx.AsyncClient() as browser:
        form = await browser.get(f"{base}/app/sign-in")
        key = re.search(r'name="form_key" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        asked = await browser.post(
            f"{base}/app/sign-in",
            data={"form_key": key, "next": "/app/tasks", "email": "claire.martin@example.org"},
        )
        assert asked.status_code == 200, asked.text

    def link() -> str | None:
        for message in ours(inbox, domain):
            if message["Subject"] == "Votre lien de connexion à Boucle":
                text = message.get_body(("plain",)).get_content()
                return re.search(r"https?://[^/\s]+(/app/sign-in/\S+)", text).group(1)  # type: ignore[union-attr]
        return None

    await eventually(lambda: link() is not None, 30, "Claire's sign-in email")
    found = link()
    assert found is not None
    return found


async def confirm_form(browser: httpx.AsyncClient, base: str, path: str) -> str:
    """Open the emailed link on `base`; the form key of its confirmation page."""
    page = await browser.get(f"{base}{path}")
    assert page.status_code == 200, page.text
    return re.search(r'name="form_key" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def is_digest(subject: str) -> bool:
    return subject.startswith("Votre semaine")


async def wait_healthy(http: httpx.AsyncClient, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"the API on port {port} never answered /health")


async def start_burst(client: Client, document, queue: str, fire_at: datetime) -> list[str]:  # noqa: ANN001
    """BURST tasks whose one reminder falls due at `fire_at`, to Paul and Nadia in turn."""
    due = fire_at + timedelta(hours=1)
    policy = document.policy_for_defaults().model_copy(
        update={"before": ("PT1H",), "on_due": False, "overdue": (), "escalate_after": None}
    )
    holidays = cycle_holidays(document.organisation, due.year)
    ids = []
    for number in range(BURST):
        task = Task(
            id=f"{PORTFOLIO}/{due.year}/rafale-{number:03d}/{due.date().isoformat()}",
            portfolio=PORTFOLIO,
            year=due.year,
            item=f"rafale-{number:03d}",
            kind="action",
            title=f"Action de la rafale {number}",
            due=due,
            original=due,
            assignees=(("resto", "nett")[number % 2],),
            policy=policy,
        )
        await client.start_workflow(
            TaskWorkflow.run,
            TaskInput(
                task=task,
                organisation=document.organisation,
                holidays=holidays,
                officers=("qdd",),
                assignable=("resto", "nett"),
                execution_start=datetime.now(UTC),
                closes_at=due + timedelta(minutes=5),
            ),
            id=task_workflow_id(task.id),
            task_queue=queue,
        )
        ids.append(task.id)
    return ids


def sent_rows(sessions: SessionFactory, task_ids: list[str]) -> list[Notification]:
    with sessions() as session:
        return list(
            session.exec(
                select(Notification).where(
                    Notification.type == "reminder",
                    Notification.status == "sent",
                    Notification.task_id.in_(task_ids),  # type: ignore[union-attr]
                )
            ).all()
        )


def claimed_not_marked(sessions: SessionFactory, task_ids: list[str]) -> set[str]:
    """Message-IDs of reminders an attempt had claimed and not yet marked: those in flight."""
    with sessions() as session:
        rows = session.exec(
            select(Notification).where(
                Notification.type == "reminder",
                Notification.status == "pending",
                Notification.lease_owner.is_not(None),  # type: ignore[union-attr]
                Notification.task_id.in_(task_ids),  # type: ignore[union-attr]
            )
        ).all()
    return {row.message_id for row in rows}
