"""The `boucle` command line."""

from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from boucle import simulation_output
from boucle.audit import audited, verify_command
from boucle.decp_commands import decp_app
from boucle.planfile import read_plan_file
from domain.errors import PlanInvalid
from domain.model import PlanFile
from domain.simulation import Assumption, simulate

app = typer.Typer(
    help="Boucle: the responsible-purchasing plan, as a living cycle.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
plan_app = typer.Typer(
    help="Check, import, approve or send back yearly plans.", no_args_is_help=True
)
app.add_typer(plan_app, name="plan")
app.add_typer(decp_app, name="decp")

EXIT_INVALID = 2
EXIT_REFUSED = 1  # a person may not do this (the engine refused, or --as names the wrong person)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    ics = "ics"
    csv = "csv"


def load_or_exit(file: Path) -> PlanFile:
    """Read a plan, or print every located error to stderr and exit 2."""
    try:
        return read_plan_file(file)
    except PlanInvalid as invalid:
        for line in invalid.lines(str(file)):
            print(line, file=sys.stderr)
        count = len(invalid.errors)
        noun = "erreur" if invalid.locale == "fr" else "error"
        print(f"{count} {noun}{'s' if count > 1 else ''}", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None


@plan_app.command("check")
def plan_check(
    file: Annotated[Path, typer.Argument(help="Plan file (YAML, JSON, XLSX or ODS).")],
) -> None:
    """Validate a plan file: a summary, or every error with its line and field."""
    document = load_or_exit(file)
    simulation = simulate(document)
    fr = document.organisation.locale.value == "fr"
    items = sum(len(plan.items) for plan in document.plans)
    years = sorted({plan.year for plan in document.plans})
    print(("Plan valide" if fr else "Valid plan") + f" : {document.organisation.name}")
    print(
        f"  portefeuilles : {len(document.portfolios)}, plans : {len(document.plans)} "
        f"({', '.join(map(str, years)) or '—'}), éléments : {items}, "
        f"occurrences : {len(simulation.tasks)}, notifications : {len(simulation.notices)}"
        if fr
        else f"  portfolios: {len(document.portfolios)}, plans: {len(document.plans)} "
        f"({', '.join(map(str, years)) or '—'}), items: {items}, "
        f"occurrences: {len(simulation.tasks)}, notifications: {len(simulation.notices)}"
    )
    counts: Counter[str] = simulation.notices_by_person()
    print("  notifications par personne :" if fr else "  notifications per person:")
    for person in document.people:
        print(f"    {person.id:<16} {counts.get(person.id, 0):>6}  {person.name}")


class WorkbookFormat(StrEnum):
    xlsx = "xlsx"
    ods = "ods"


@plan_app.command("export")
def plan_export(
    file: Annotated[Path, typer.Argument(help="Plan file (YAML, JSON, XLSX or ODS).")],
    output: Annotated[WorkbookFormat, typer.Option("--format", help="Workbook format.")],
    out: Annotated[Path, typer.Option(help="The workbook to write.")],
) -> None:
    """Write the plan as a workbook (one sheet per part) that `plan check` reads back."""
    from services.plan_files import write_plan_workbook

    document = load_or_exit(file)
    _write_or_exit(out, write_plan_workbook(document, output.value))
    print(f"{out} : {sum(len(plan.items) for plan in document.plans)} actions")


@plan_app.command("template")
def plan_template(
    output: Annotated[WorkbookFormat, typer.Option("--format", help="Workbook format.")],
    out: Annotated[Path | None, typer.Option(help="The workbook to write.")] = None,
) -> None:
    """Write a blank plan workbook: headers with their notes, drop-down lists, a notice."""
    from services.plan_files import write_template_workbook

    target = out or Path(f"plan.{output.value}")
    _write_or_exit(target, write_template_workbook(output.value))
    print(target)


def _write_or_exit(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        print(f"{path}: {error.strerror or error}", file=sys.stderr)
        raise typer.Exit(1) from None


@app.command("simulate")
def simulate_command(
    file: Annotated[Path, typer.Argument(help="Plan file (YAML, JSON, XLSX or ODS).")],
    year: Annotated[int | None, typer.Option(help="Only this year's plans.")] = None,
    assume: Annotated[
        Assumption, typer.Option(help="Tasks done on time, or never.")
    ] = Assumption.on_time,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.text,
) -> None:
    """Print the year's timeline without running anything."""
    document = load_or_exit(file)
    simulation = simulate(document, year=year, assume=assume)
    if output == OutputFormat.json:
        text = simulation_output.as_json(simulation, document)
    elif output == OutputFormat.csv:
        text = simulation_output.as_csv(simulation, document)
    elif output == OutputFormat.ics:
        text = simulation_output.as_ics(simulation, document, datetime.now(UTC))
    else:
        years = [year] if year else sorted({plan.year for plan in document.plans})
        text = simulation_output.as_text(simulation, document, assume, years)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
notifications_app = typer.Typer(help="Message templates.", no_args_is_help=True)
app.add_typer(notifications_app, name="notifications")


@notifications_app.command("preview")
def notifications_preview(
    message: Annotated[str, typer.Argument(help="A message type, or 'all'.")],
    locale: Annotated[str, typer.Option(help="fr or en.")] = "fr",
    out: Annotated[Path, typer.Option(help="Folder for the .eml and .html files.")] = Path(
        "preview"
    ),
) -> None:
    """Render message types with realistic demo data to .eml and .html files."""
    from notifications.messages import MessageType
    from notifications.samples import sample_email, sample_rendered

    known = [kind.value for kind in MessageType]
    if message != "all" and message not in known:
        print(f"type inconnu : {message} (attendu : all, {', '.join(known)})", file=sys.stderr)
        raise typer.Exit(2)
    if locale not in ("fr", "en"):
        print(f"langue inconnue : {locale} (attendu : fr, en)", file=sys.stderr)
        raise typer.Exit(2)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC)
    for kind in MessageType if message == "all" else [MessageType(message)]:
        (out / f"{kind.value}.{locale}.html").write_text(
            sample_rendered(kind, locale).html, encoding="utf-8"
        )
        (out / f"{kind.value}.{locale}.eml").write_bytes(bytes(sample_email(kind, locale, stamp)))
        print(out / f"{kind.value}.{locale}.eml")


def _settings():  # noqa: ANN202 - imported lazily: plan check and simulate stay fast
    from services.settings import get_settings

    return get_settings()


def _sessions():  # noqa: ANN202
    from store.database import SessionFactory, make_engine, migrate

    settings = _settings()
    engine = make_engine(settings.database)
    migrate(engine)
    return SessionFactory(engine)


def _finish(code: int) -> NoReturn:
    """End the command with `code` (main() then leaves the process: see there)."""
    raise typer.Exit(code)


def _run(coroutine) -> NoReturn:  # noqa: ANN001
    import asyncio

    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.service import RPCError

    code = 0
    try:
        asyncio.run(coroutine)
    except WorkflowUpdateFailedError as error:
        from services.refusals import refusal_of, refusal_text

        _, refusal, params, english = refusal_of(error)
        print(f"refusé : {refusal_text(refusal, params, 'fr', english)}", file=sys.stderr)
        code = 1
    except (ConnectionError, RuntimeError, RPCError) as error:
        print(f"erreur : {error}", file=sys.stderr)
        code = 1
    except typer.Exit as stop:
        code = stop.exit_code
    except KeyboardInterrupt:
        code = 130
    _finish(code)


@plan_app.command("import")
@audited("plan import", actor="by", target=lambda options: options["file"].name)
def plan_import(
    file: Annotated[Path, typer.Argument(help="Plan file (YAML, JSON, XLSX or ODS).")],
    by: Annotated[str | None, typer.Option("--as", help="Who imports it.")] = None,
) -> None:
    """Store the organisation and plans, and start each plan's cycle in planning."""
    document = load_or_exit(file)
    if by is not None:
        _require_planner(by, document)

    async def work() -> None:
        from services.plans import import_plans
        from services.temporal import connect

        settings = _settings()
        client = await connect(settings)
        for result in await import_plans(
            document,
            _sessions(),
            client,
            settings.task_queue,
            by=by,
            with_search_attributes=settings.search_attributes,
        ):
            state = (
                "cycle démarré"
                if result.cycle_started
                else "cycle mis à jour (à soumettre à nouveau)"
                if result.cycle_revised
                else "cycle déjà en cours"
            )
            news = "nouvelle version" if result.new_version else "version inchangée"
            print(f"{result.portfolio}/{result.year} : v{result.version} ({news}), {state}")
        _print_proposals()

    _run(work())


def _require_planner(by: str, document: PlanFile) -> None:
    """Refuse `--as` naming anyone but an active officer or admin, as POST /plans does; into a
    store that holds nobody yet, the file's own people say who is who."""
    from sqlmodel import select

    from store.tables import Person

    with _sessions()() as session:
        stored = session.get(Person, by)
        anyone = session.exec(select(Person.id).limit(1)).first() is not None
    if stored is not None:
        role, active = stored.role, stored.active
    elif not anyone:
        listed = next((person for person in document.people if person.id == by), None)
        role, active = (listed.role.value, True) if listed is not None else (None, False)
    else:
        role, active = None, False
    if role is None:
        print(f"refusé : --as {by} : personne inconnue", file=sys.stderr)
        raise typer.Exit(EXIT_REFUSED)
    if not active or role not in ("officer", "admin"):
        state = "inactive" if not active else f"au rôle {role}"
        print(
            f"refusé : --as {by} : une personne {state} ne peut pas importer de plan "
            "(responsable Qualité & DD ou administrateur)",
            file=sys.stderr,
        )
        raise typer.Exit(EXIT_REFUSED)


def _print_proposals() -> None:
    """Say which people changes wait for an admin (an import only proposes them)."""
    from sqlmodel import col, select

    from store.tables import PersonProposal

    with _sessions()() as session:
        pending = session.exec(
            select(PersonProposal)
            .where(col(PersonProposal.settled_at).is_(None))
            .order_by(col(PersonProposal.id))
        ).all()
    for proposal in pending:
        role = proposal.record.get("role")
        print(
            f"proposé à un administrateur (GET /proposals) : {proposal.person_id} ({role})",
            file=sys.stderr,
        )


@plan_app.command("submit")
@audited("plan submit", actor="by", target=lambda options: "{portfolio}/{year}".format(**options))
def plan_submit(
    portfolio: str, year: int, by: Annotated[str, typer.Option("--as", help="The officer.")]
) -> None:
    """Submit a draft plan to the direction."""

    async def work() -> None:
        from services.plans import submit_plan
        from services.temporal import connect

        view = await submit_plan(await connect(_settings()), portfolio, year, by)
        print(f"{portfolio}/{year} : soumis ({view.tasks_planned} occurrences)")

    _run(work())


@plan_app.command("approve")
@audited("plan approve", actor="by", target=lambda options: "{portfolio}/{year}".format(**options))
def plan_approve(
    portfolio: str, year: int, by: Annotated[str, typer.Option("--as", help="A direction member.")]
) -> None:
    """Approve a submitted plan: its cycle starts executing."""

    async def work() -> None:
        from services.plans import approve_plan
        from services.temporal import connect

        view = await approve_plan(await connect(_settings()), portfolio, year, by)
        print(f"{portfolio}/{year} : approuvé par {view.approved_by}")

    _run(work())


@plan_app.command("return")
@audited("plan return", actor="by", target=lambda options: "{portfolio}/{year}".format(**options))
def plan_return(
    portfolio: str,
    year: int,
    by: Annotated[str, typer.Option("--as", "--by", help="A direction member.")],
    comment: Annotated[str, typer.Option(help="What the officer should revise.")],
) -> None:
    """Send a submitted plan back to the officer with a comment: the officer is told why."""

    async def work() -> None:
        from services.plans import return_plan
        from services.temporal import connect

        view = await return_plan(await connect(_settings()), portfolio, year, by, comment)
        print(f"{portfolio}/{year} : renvoyé au responsable Qualité & DD par {view.returned_by}")

    _run(work())


values_app = typer.Typer(help="Indicator values.", no_args_is_help=True)
app.add_typer(values_app, name="values")


@values_app.command("import")
@audited("values import", actor="by", target=lambda options: options["file"].name)
def values_import(
    file: Annotated[Path, typer.Argument(help="CSV: indicator, portfolio, period, value[, …].")],
    by: Annotated[str | None, typer.Option("--by", help="Who provides them.")] = None,
) -> None:
    """Import indicator values in bulk; every error is listed and nothing is stored then."""
    from store.audit import note_change
    from store.values import import_values

    try:
        text = file.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        print(f"{file}: illisible : {error}", file=sys.stderr)
        raise typer.Exit(2) from None
    with _sessions()() as session:
        count, errors = import_values(session, text, by)
    for problem in errors:
        print(problem.format(str(file)), file=sys.stderr)
    if errors:
        raise typer.Exit(2)
    note_change(f"values/{file.name}", None, {"stored": count})
    print(f"{count} valeur(s) enregistrée(s)")


@app.command("report")
def report_command(
    year: int,
    format: Annotated[  # noqa: A002 - the option's name is what people type
        str,
        typer.Option(
            "--format",
            help="html (printable), page (one HTML page for a website), pdf (A4, to publish), "
            "csv (French spreadsheet) or json.",
        ),
    ] = "html",
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """The annual SPASER follow-up report for YEAR, from the store."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from api.report_pdf import report_pdf, report_pdf_html
    from api.routes.pages import render_report_html
    from domain.report import report_csv
    from store.report import gather_report
    from store.tables import Organisation

    formats = ("html", "page", "pdf", "csv", "json")
    if format not in formats:
        print(f"erreur : --format {format!r} : {', '.join(formats)}", file=sys.stderr)
        raise typer.Exit(2)
    if format == "pdf" and out is None:
        print("erreur : --format pdf écrit un fichier : donnez --out bilan.pdf", file=sys.stderr)
        raise typer.Exit(2)
    with _sessions()() as session:
        report = gather_report(session, year, datetime.now(UTC), _settings().art35_from)
        organisation = session.get(Organisation, 1)
    zone = ZoneInfo(organisation.timezone if organisation else "Europe/Paris")
    if format == "pdf" and out is not None:
        out.write_bytes(report_pdf(report, zone))
        print(f"{out} : bilan {year}, {len(report.portfolios)} portefeuille(s)", file=sys.stderr)
        return
    text = {
        "html": lambda: render_report_html(report, zone),
        "page": lambda: report_pdf_html(report, zone),
        "csv": lambda: report_csv(report),
        "json": lambda: report.model_dump_json(indent=2),
    }[format]()
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8-sig" if format == "csv" else "utf-8")
    print(f"{out} : bilan {year}, {len(report.portfolios)} portefeuille(s)", file=sys.stderr)


@app.command("catalogue")
def catalogue_command() -> None:
    """Print the default SPASER indicator catalogue, to copy into a plan and adapt."""
    from domain.catalogue import catalogue_text

    print(catalogue_text(), end="")


@token_app.command("create")
@audited("token create", target=lambda options: options["person"])
def token_create(
    person: str,
    label: Annotated[str | None, typer.Option(help="What it is for.")] = None,
    expires: Annotated[
        str | None, typer.Option(help="Lifetime (90d, 12w, 6m, 1y) or an ISO 8601 date.")
    ] = None,
) -> None:
    """Print a new API token for a person (shown once, stored hashed)."""
    from services.tokens import expiry, issue_token

    try:
        expires_at = expiry(expires) if expires else None
    except ValueError as error:
        print(f"erreur : --expires {expires!r} : {error}", file=sys.stderr)
        raise typer.Exit(2) from None
    with _sessions()() as session:
        try:
            token, row = issue_token(session, person, label, expires_at)
        except LookupError as error:
            print(f"erreur : {error}", file=sys.stderr)
            raise typer.Exit(2) from None
    print(token)
    until = f", valable jusqu'au {expires_at:%Y-%m-%d}" if expires_at else ""
    print(f"jeton n° {row.id} pour {person}{until} ; il ne sera plus affiché", file=sys.stderr)


@token_app.command("revoke")
@audited("token revoke", target=lambda options: f"token/{options['token_id']}")
def token_revoke(token_id: int) -> None:
    """Revoke a token by its number (see `boucle token list`); it stops working within 1 s."""
    from services.tokens import revoke_token

    with _sessions()() as session:
        row = revoke_token(session, token_id)
    if row is None:
        print(f"erreur : aucun jeton n° {token_id}", file=sys.stderr)
        raise typer.Exit(2)
    print(f"jeton n° {token_id} de {row.person_id} révoqué")


@token_app.command("list")
def token_list(
    person: Annotated[str | None, typer.Option(help="Only this person's.")] = None,
) -> None:
    """Every token: number, person, label, dates (never the token itself)."""
    from services.tokens import tokens_of

    with _sessions()() as session:
        rows = tokens_of(session, person)
    for row in rows:
        state = "révoqué" if row.revoked_at else "actif"
        until = f" jusqu'au {row.expires_at:%Y-%m-%d}" if row.expires_at else ""
        print(f"{row.id}\t{row.person_id}\t{row.label or ''}\t{state}{until}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain: exit 0 when whole, 1 with its first broken row."""
    verify_command()


@app.command("worker")
def worker_command() -> None:
    """Run a worker (workflows, activities and the periodic-jobs scheduler)."""
    from concurrent.futures import ThreadPoolExecutor

    from boucle.temporal import run_event_loop

    async def work() -> None:
        import asyncio
        import signal

        from api.logs import SECRET_PATHS
        from boucle.scheduler import build_scheduler
        from boucle.temporal import build_worker, mailer_for, worker_metrics
        from services.logging_setup import configure_logging
        from services.temporal import connect

        settings = _settings()
        configure_logging(settings.log_format, SECRET_PATHS)
        sessions = _sessions()
        client = await connect(settings)
        stop = asyncio.Event()
        for name in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(name, stop.set)
        with (
            ThreadPoolExecutor(max_workers=settings.worker_threads) as executor,
            worker_metrics(settings),
        ):
            worker = build_worker(client, settings, sessions, mailer_for(settings), executor)
            scheduler = build_scheduler(client, settings.task_queue, sessions)
            async with worker:  # on SIGTERM: running activities finish, then it stops
                if settings.scheduler:
                    scheduler.start()
                await stop.wait()
                if settings.scheduler:
                    scheduler.shutdown(wait=False)

    run_event_loop(work())
    _finish(0)


@app.command("api")
def api_command() -> None:
    """Serve the HTTP API (127.0.0.1 by default; BOUCLE_API_HOST to change)."""
    import uvicorn

    from api.logs import SECRET_PATHS, uvicorn_log_config
    from api.main import create_app
    from services.logging_setup import logging_config

    settings = _settings()
    _sessions()  # migrate before serving
    # The standard asyncio loop, not uvloop (which uvicorn would pick since workers install
    # it): measured with wrk, uvloop took /me/tasks p99 from about 40 to 90-110 ms.
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        loop="asyncio",
        # One-click links are credentials: not in the log, whichever BOUCLE_LOG_FORMAT.
        log_config=logging_config(settings.log_format, SECRET_PATHS, uvicorn_log_config()),
    )
    _finish(0)


@app.command("dev")
def dev_command(
    config: Annotated[Path, typer.Option(help="Dev server settings.")] = Path("temporal-dev.yaml"),
) -> None:
    """The whole local stack: Temporal dev server, worker, API, scheduler, mail catcher."""
    from boucle.dev import run_dev
    from boucle.temporal import run_event_loop

    try:
        run_event_loop(run_dev(_settings(), config))
    except SystemExit as stop:  # a port in use, a dev server that would not start
        if stop.code not in (None, 0):
            print(f"erreur : {stop.code}", file=sys.stderr)
            _finish(1)
    _finish(0)


def main() -> None:
    """Run a command; a process that ran a Temporal client leaves without teardown.

    The client runtime's threads can abort the interpreter's teardown after the work is done
    ("PyGILState_Release", sdk-python#300) and a script would see status 134: once the
    command has returned (its audit row written), what it printed is flushed and the process
    exits with the command's own status.
    """
    try:
        app()
    except SystemExit as stop:
        temporal = sys.modules.get("services.temporal")  # not imported: no client ever ran
        if temporal is None or not temporal.temporal_used():
            raise
        code = stop.code
        if isinstance(code, str):
            print(code, file=sys.stderr)
            code = 1
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code or 0)


if __name__ == "__main__":
    main()
