"""The audit trail is one hash chain, whole however many writers append at once, on each backend."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import text

from store.audit import append, recording, verify_chain
from store.database import SessionFactory
from store.tables import AuditEntry


def row(writer: str, number: int) -> AuditEntry:
    return AuditEntry(
        at=datetime.now(UTC),
        person_id=writer,
        method="POST",
        path="/tokens",
        action="create_token",
        status=201,
        changes={f"token/{number}": {"person_id": [None, writer]}},
    )


def test_three_writers_at_once_make_one_whole_chain(sessions: SessionFactory) -> None:
    """Two API replicas and a command line, each appending as fast as it can."""

    def write(writer: str) -> None:
        for number in range(40):
            append(sessions, row(writer, number))

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(write, ["replica-a", "replica-b", "cli"]))
    with sessions() as session:
        count, broken = verify_chain(session)
        sequences = session.execute(text("SELECT sequence FROM auditentry ORDER BY id")).all()
    assert (count, broken) == (120, None)
    assert sorted(s for (s,) in sequences) == list(range(1, 121))


def test_a_changed_removed_or_dropped_row_is_found_where_the_chain_breaks(
    sessions: SessionFactory,
) -> None:
    for number in range(6):
        append(sessions, row("qdd", number))
    with sessions() as session:
        assert verify_chain(session) == (6, None)
        session.execute(text("UPDATE auditentry SET status = 200 WHERE sequence = 3"))
        session.commit()
        count, broken = verify_chain(session)
        assert (count, broken and broken.sequence, broken and broken.reason) == (2, 3, "altered")
        session.execute(text("UPDATE auditentry SET status = 201 WHERE sequence = 3"))
        session.execute(text("DELETE FROM auditentry WHERE sequence = 5"))
        session.commit()
        count, broken = verify_chain(session)
        assert (count, broken and broken.sequence, broken and broken.reason) == (4, 5, "missing")
        session.execute(text("DELETE FROM auditentry WHERE sequence = 6"))
        session.commit()
        count, broken = verify_chain(session)
        assert (count, broken and broken.reason) == (4, "truncated")


def test_changes_noted_inside_a_recording_are_kept_once_per_field() -> None:
    from store.audit import note_change

    with recording() as changes:
        note_change(
            "person/resto", {"role": "buyer", "name": "Paul"}, {"role": "officer", "name": "Paul"}
        )
        note_change("person/resto", {"role": "officer"}, {"role": "admin"})
        note_change("person/nett", {"name": "Nadia"}, {"name": "Nadia"})
    note_change("person/dgs", None, {"role": "direction"})  # outside a recording: nowhere
    assert changes == {"person/resto": {"role": ["buyer", "admin"]}}


def test_the_migration_seals_the_rows_written_before_it(sessions: SessionFactory) -> None:
    from alembic import command
    from alembic.config import Config

    from store.database import MIGRATIONS, migrate

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with sessions.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    with sessions.engine.begin() as connection:
        for number in range(3):
            connection.execute(
                text(
                    "INSERT INTO auditentry (at, person_id, method, path, action, status)"
                    " VALUES (:at, 'qdd', 'PUT', '/people/lea', 'write_person', :status)"
                ),
                {
                    "at": datetime(2026, 11, 30, 9, number, tzinfo=UTC).replace(tzinfo=None),
                    "status": 200 + number,
                },
            )
    migrate(sessions.engine)
    append(sessions, row("adm", 1))
    with sessions() as session:
        assert verify_chain(session) == (4, None)
