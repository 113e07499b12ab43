"""The command line's share of the audit trail: each write command leaves one chained row."""

from __future__ import annotations

import functools
import getpass
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:  # the store is imported by a command that writes, not by `plan check`
    from store.audit import Changes

Command = TypeVar("Command", bound=Callable[..., None])


def audited(
    command: str,
    *,
    actor: str | None = None,
    target: Callable[[dict[str, Any]], str] | None = None,
) -> Callable[[Command], Command]:
    """Record a command: who it acts as (option `actor`), on what, what changed, its status."""

    def decorate(function: Command) -> Command:
        @functools.wraps(function)
        def run(**options: Any) -> None:
            status = 1
            from store.audit import recording

            with recording() as changes:
                try:
                    function(**options)
                    status = 0
                except typer.Exit as stop:
                    status = stop.exit_code
                    raise
                except SystemExit as stop:
                    status = stop.code if isinstance(stop.code, int) else 1
                    raise
                finally:
                    record_command(
                        command,
                        options.get(actor) if actor else None,
                        target(options) if target else None,
                        status,
                        changes,
                    )

        return run  # type: ignore[return-value]

    return decorate


def _sessions() -> Any:
    from services.settings import get_settings
    from store.database import SessionFactory, make_engine, migrate

    engine = make_engine(get_settings().database)
    migrate(engine)
    return SessionFactory(engine)


def record_command(
    command: str, person: str | None, target: str | None, status: int, changes: Changes
) -> None:
    from store.audit import append
    from store.tables import AuditEntry

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    try:
        append(
            _sessions(),
            AuditEntry(
                at=datetime.now(UTC),
                person_id=person,
                origin="cli",
                method="CLI",
                path=f"boucle {command} ({user})"[:400],
                action=command.replace(" ", "_"),
                target=target[:200] if target else None,
                status=status,
                changes=changes or None,
            ),
        )
    except Exception as error:  # noqa: BLE001 - what the command did stands: say it is unrecorded
        print(f"journal d'audit : commande non enregistrée ({error})", file=sys.stderr)


BREAKS = {
    "unsealed": "elle n'est pas scellée",
    "missing": "la ligne attendue manque (supprimée)",
    "unlinked": "elle ne suit pas la ligne précédente (une ligne insérée, supprimée ou déplacée)",
    "altered": "son contenu a été modifié",
    "truncated": "les dernières lignes ont été supprimées",
}


def verify_command() -> None:
    """Check the chain from its first row; exit 1 at the first broken one."""
    from store.audit import verify_chain
    from store.tables import AuditChain

    with _sessions()() as session:
        count, broken = verify_chain(session)
        head = session.get(AuditChain, 1)
    if broken is None:
        print(f"chaîne d'audit intègre : {count} ligne(s)")
        print(f"dernier sceau : {head.last_hash if head else '—'}")
        return
    where = f"à la ligne {broken.sequence}" if broken.sequence else "sur une ligne non scellée"
    row = f" (id {broken.entry_id})" if broken.entry_id is not None else ""
    print(
        f"chaîne d'audit rompue {where}{row} : {BREAKS[broken.reason]} ; "
        f"{count} ligne(s) intègres avant",
        file=sys.stderr,
    )
    raise typer.Exit(1)
