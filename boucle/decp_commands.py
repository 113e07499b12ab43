"""`boucle decp`: the legal indicators computed from the buyer's DECP contract data."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from babel.numbers import format_decimal

from boucle.audit import audited
from domain.decp import Scope, read_decp
from domain.decp_figures import DecpSummary, summarise
from domain.law import law_for

decp_app = typer.Typer(
    help="The legal indicators from DECP contract data (données essentielles).",
    no_args_is_help=True,
)
EXIT_INVALID = 2
INDICATOR_WORDS = {
    "decp.environmental": "avec au moins une considération environnementale",
    "decp.social": "avec au moins une considération sociale",
    "decp.reserved": "réservés (Marché réservé)",
    "decp.social_clause": "avec une clause sociale",
    "decp.social_criterion": "avec un critère social",
    "decp.environmental_clause": "avec une clause environnementale",
    "decp.environmental_criterion": "avec un critère environnemental",
}
MISSING_WORDS = {
    "environmental": "aucune considération environnementale",
    "social": "aucune considération sociale",
}


class SummaryFormat(StrEnum):
    text = "text"
    json = "json"


class BuyerCategory(StrEnum):
    local = "local"
    central = "central"
    utility = "utility"


def _day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"« {text} » n'est pas une date AAAA-MM-JJ") from None


@decp_app.command("summary")
def decp_summary(
    file: Annotated[Path, typer.Argument(help="DECP file: JSON (official or flat) or CSV.")],
    year: Annotated[int, typer.Option(help="The year of notification.", min=2000, max=2100)],
    siret: Annotated[
        list[str] | None, typer.Option(help="The organisation's SIRET; repeat for several.")
    ] = None,
    buyer_category: Annotated[
        BuyerCategory, typer.Option(help="Which European threshold applies to supplies.")
    ] = BuyerCategory.local,
    art35_from: Annotated[
        str | None,
        typer.Option(
            help="First notification date under art. 35 (default: BOUCLE_ART35_FROM, else "
            "the catalogue's 2026-08-21)."
        ),
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option(help="Sum up the valid records and list the others.")
    ] = False,
    output: Annotated[SummaryFormat, typer.Option("--format")] = SummaryFormat.text,
) -> None:
    """Compute the year's legal shares and art. 35 gaps from a DECP file, storing nothing."""
    start = _day(art35_from) if art35_from else _settings_start()
    try:
        data = file.read_bytes()
    except OSError as unreadable:
        print(f"{file}: {unreadable.strerror or unreadable}", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
    read = read_decp(data, file.name, Scope(frozenset(siret or ()), year))
    for problem in read.errors:
        print(problem.format(str(file)), file=sys.stderr)
    if read.errors and not skip_invalid:
        count = len(read.errors)
        print(f"{count} erreur{'s' if count > 1 else ''} : rien n'est calculé "
              "(--skip-invalid calcule sur le reste)", file=sys.stderr)  # fmt: skip
        raise typer.Exit(EXIT_INVALID)
    summary = summarise(
        read.contracts, law_for(year), buyer_category=buyer_category.value, art35_from=start
    )
    if output is SummaryFormat.json:
        print(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
        return
    print(_text(summary, file, year, left=len(read.errors)))


@decp_app.command("import")
@audited("decp import", target=lambda options: options["file"].name)
def decp_import(
    file: Annotated[Path, typer.Argument(help="DECP file: JSON (official or flat) or CSV.")],
    siret: Annotated[
        list[str] | None,
        typer.Option(help="The organisation's SIRET (default: organisation.sirets of the plan)."),
    ] = None,
    year: Annotated[
        int | None, typer.Option(help="Keep the contracts notified this year.", min=2000, max=2100)
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option(help="Store the valid records and list the others.")
    ] = False,
) -> None:
    """Store a DECP file's contracts once each: the same file again changes nothing."""
    from boucle.cli import _sessions
    from services.decp import import_decp
    from store.audit import note_change

    try:
        data = file.read_bytes()
    except OSError as unreadable:
        print(f"{file}: {unreadable.strerror or unreadable}", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
    with _sessions()() as session:
        result = import_decp(
            session,
            data,
            file.name,
            sirets=frozenset(siret or ()),
            year=year,
            skip_invalid=skip_invalid,
        )
    for problem in result.errors or result.skipped:
        print(problem.format(str(file)), file=sys.stderr)
    if result.stored is None:
        count = len(result.errors)
        print(f"{count} erreur{'s' if count > 1 else ''} : rien n'est enregistré "
              "(--skip-invalid enregistre le reste)", file=sys.stderr)  # fmt: skip
        raise typer.Exit(EXIT_INVALID)
    stored = result.stored
    note_change(
        f"decp/{file.name}",
        None,
        {"added": stored.added, "replaced": stored.replaced, "unchanged": stored.unchanged},
    )
    print(
        f"{stored.added} marché(s) ajouté(s), {stored.replaced} remplacé(s) par une nouvelle "
        f"version, {stored.unchanged} inchangé(s)"
        + (f" ; {result.left_out} d'autres acheteurs ou d'autres années" if result.left_out else "")
        + (f" ; {len(result.skipped)} erreur(s) laissée(s) de côté" if result.skipped else "")
    )


def _settings_start() -> date | None:
    from services.settings import get_settings

    return get_settings().art35_from


def _euros(amount: Decimal) -> str:
    return f"{format_decimal(amount, locale='fr_FR', decimal_quantization=False)} € HT"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{format_decimal(value, locale='fr_FR')} %"


def _text(summary: DecpSummary, file: Path, year: int, *, left: int) -> str:
    noun = "marché notifié" if summary.contracts == 1 else "marchés notifiés"
    # Each indicator line reads "marchés <words>: count (share), amount (share)".
    lines = [f"{file.name} : {summary.contracts} {noun} en {year}, {_euros(summary.amount)}"]
    if left:
        plural = "s" if left > 1 else ""
        lines.append(f"  ({left} enregistrement{plural} invalide{plural} laissé{plural} de côté)")
    for name, figure in summary.indicators.items():
        lines.append(
            f"  marchés {INDICATOR_WORDS[name]} : {figure.count} ({_share(figure.share_count)}), "
            f"{_euros(figure.amount)} ({_share(figure.share_amount)})"
        )
    since = summary.art35_from.strftime("%d/%m/%Y")
    lines.append(
        f"Article 35 de la loi Climat et résilience, marchés notifiés depuis le {since} "
        "(la date de notification tient lieu de date de lancement) : "
        + (f"{len(summary.art35_gaps)} à justifier" if summary.art35_gaps else "aucun écart")
    )
    for gap in summary.art35_gaps:
        contract = gap.contract
        why = MISSING_WORDS[gap.missing]
        if gap.threshold is not None:
            why += f" (montant au moins égal au seuil de {_euros(gap.threshold)})"
        lines.append(
            f"  {contract.id} « {contract.objet} », {_euros(contract.amount)}, notifié le "
            f"{contract.notified.strftime('%d/%m/%Y')} : {why}"
        )
    return "\n".join(lines)
