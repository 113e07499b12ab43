"""The outbox writes claims and outcomes in groups without losing or doubling a message."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlmodel import select

from activities.outbox import Claim, Outbox, Outcome
from store.database import SessionFactory
from store.tables import Notification

DUE = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def claim(number: int, owner: str = "attempt-1") -> Claim:
    return Claim(
        key=f"task/{number}|reminder|{DUE.isoformat()}|marc",
        type="reminder",
        task_id=f"task/{number}",
        cycle_id="restauration/2027",
        person_id="marc",
        email="marc@example.org",
        message_id=f"<{number}@boucle.test>",
        scheduled_at=DUE,
        owner=owner,
    )


async def test_concurrent_claims_share_commits_and_each_gets_its_row(
    sessions: SessionFactory,
) -> None:
    outbox = Outbox(sessions)
    batches: list[int] = []
    write = outbox.claim_all

    def counting(claims: list[Claim]) -> list:  # type: ignore[type-arg]
        batches.append(len(claims))
        return write(claims)

    outbox._claims._write = counting  # observe how the writer groups them
    claimed = await asyncio.gather(*(outbox.claim(claim(n)) for n in range(300)))

    assert [row.message_id for row in claimed] == [f"<{n}@boucle.test>" for n in range(300)]
    assert {row.status for row in claimed} == {"pending"}
    assert sum(batches) == 300 and len(batches) < 300  # grouped, none dropped
    with sessions() as session:
        assert len(session.exec(select(Notification)).all()) == 300


async def test_a_claim_returns_the_existing_row_and_a_repeated_key_is_written_once(
    sessions: SessionFactory,
) -> None:
    outbox = Outbox(sessions)
    first = claim(1)
    await outbox.claim(first)
    await outbox.record(Outcome(first.key, "Rappel", "sent", None))

    again, twin_a, twin_b = await asyncio.gather(
        outbox.claim(first), outbox.claim(claim(2)), outbox.claim(claim(2))
    )

    assert again.status == "sent" and again.subject == "Rappel"
    assert twin_a.message_id == twin_b.message_id
    assert (twin_a.created, twin_b.created) == (True, False)  # one of them wrote the row
    assert (twin_a.leased, twin_b.leased) == (True, False)  # and only it may send
    with sessions() as session:
        rows = {row.key: row for row in session.exec(select(Notification))}
    assert len(rows) == 2
    assert rows[first.key].attempts == 1 and rows[first.key].sent_at is not None


async def test_every_attempt_is_counted_and_the_last_outcome_kept(
    sessions: SessionFactory,
) -> None:
    outbox = Outbox(sessions)
    message = claim(7)
    await outbox.claim(message)
    await asyncio.gather(
        outbox.record(Outcome(message.key, "Rappel", "pending", "451 try again later")),
        outbox.record(Outcome(message.key, "Rappel", "pending", "451 try again later")),
    )
    await outbox.record(Outcome(message.key, "Rappel", "failed", "550 no such user"))

    with sessions() as session:
        row = session.exec(select(Notification).where(Notification.key == message.key)).one()
    assert (row.attempts, row.status, row.last_error) == (3, "failed", "550 no such user")
    assert row.sent_at is None


async def test_a_failed_write_reaches_every_waiting_sender(sessions: SessionFactory) -> None:
    outbox = Outbox(sessions)

    def broken(claims: list[Claim]) -> list:  # type: ignore[type-arg]
        raise RuntimeError("database is locked")

    outbox._claims._write = broken
    results = await asyncio.gather(
        *(outbox.claim(claim(n)) for n in range(3)), return_exceptions=True
    )
    assert all(isinstance(result, RuntimeError) for result in results)
    outbox._claims._write = outbox.claim_all  # the writer recovers for the next message
    assert (await outbox.claim(claim(9))).status == "pending"


async def test_two_attempts_never_hold_one_message_and_a_lapsed_lease_is_taken_over(
    sessions: SessionFactory,
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    outbox = Outbox(sessions)
    first = await outbox.claim(claim(3, owner="worker-that-dies"))
    second = await outbox.claim(claim(3, owner="retry"))
    assert first.leased and not second.leased  # the retry must wait: it would send twice
    again = await outbox.claim(claim(3, owner="worker-that-dies"))
    assert again.leased  # the holder keeps its own lease

    with sessions.engine.begin() as connection:  # the dead worker's lease runs out
        connection.execute(
            update(Notification)
            .where(Notification.key == claim(3).key)  # type: ignore[arg-type]
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    taken = await outbox.claim(claim(3, owner="retry"))
    assert taken.leased and taken.status == "pending"
    await outbox.record(Outcome(claim(3).key, "Rappel", "sent", None))
    with sessions() as session:
        row = session.exec(select(Notification).where(Notification.key == claim(3).key)).one()
    assert (row.status, row.lease_owner, row.lease_until) == ("sent", None, None)
    late = await outbox.claim(claim(3, owner="third"))
    assert late.status == "sent" and not late.leased  # sent: nobody sends it again
