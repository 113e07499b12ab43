"""The `boucle` command line."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from boucle import simulation_output
from boucle.planfile import read_plan_file
from domain.errors import PlanInvalid
from domain.model import PlanFile
from domain.simulation import Assumption, simulate

app = typer.Typer(
    help="Boucle: the responsible-purchasing plan, as a living cycle.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
plan_app = typer.Typer(help="Check, import and approve yearly plans.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")

EXIT_INVALID = 2


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
def plan_check(file: Annotated[Path, typer.Argument(help="Plan file (YAML or JSON).")]) -> None:
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


@app.command("simulate")
def simulate_command(
    file: Annotated[Path, typer.Argument(help="Plan file (YAML or JSON).")],
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
