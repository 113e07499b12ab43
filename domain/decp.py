"""The buyer's DECP contract data (données essentielles de la commande publique, v2), read
from the official JSON or the consolidated CSV, kept to the organisation and the year.

Pure: bytes in, contracts and located errors out. The figures come from domain.decp_figures.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

SOCIAL_CLAUSE = "Clause sociale"
SOCIAL_CRITERION = "Critère social"
RESERVED = "Marché réservé"
NO_SOCIAL = "Pas de considération sociale"
ENVIRONMENTAL_CLAUSE = "Clause environnementale"
ENVIRONMENTAL_CRITERION = "Critère environnemental"
NO_ENVIRONMENTAL = "Pas de considération environnementale"
SOCIAL_VALUES = (SOCIAL_CLAUSE, SOCIAL_CRITERION, RESERVED, NO_SOCIAL)
ENVIRONMENTAL_VALUES = (ENVIRONMENTAL_CLAUSE, ENVIRONMENTAL_CRITERION, NO_ENVIRONMENTAL)
SOCIAL_FIELD = "considerationsSociales"
ENVIRONMENTAL_FIELD = "considerationsEnvironnementales"
# The official JSON wraps each list in an object with the singular name.
WRAPPERS = {
    SOCIAL_FIELD: "considerationSociale",
    ENVIRONMENTAL_FIELD: "considerationEnvironnementale",
}
ALLOWED = {SOCIAL_FIELD: SOCIAL_VALUES, ENVIRONMENTAL_FIELD: ENVIRONMENTAL_VALUES}
SIRET = re.compile(r"^\d{14}$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")  # a time or an offset may follow
# Values in one CSV cell: the consolidated export joins them with a comma or a semicolon.
CELL_SEPARATOR = re.compile(r"\s*[,;|]\s*")
MAX_TEXT = 1000  # the schema's limit for `objet`
# Where the contracts' list opens: [...], {"marches": [...]} or {"marches": {"marche": [...]}}.
RECORDS_LIST = re.compile(r'^\s*\[|"marches?"\s*:\s*\[')
ENVELOPE_SEARCH = 10_000  # the list opens near the start; past this, read the whole document
MARKER = "\u0000boucle: the contracts' list\u0000"
SPACE = re.compile(r"[ \t\n\r]*")

MESSAGES: dict[str, dict[str, str]] = {
    "json": {"fr": "JSON illisible : {detail}", "en": "unreadable JSON: {detail}"},
    "csv": {"fr": "CSV illisible : {detail}", "en": "unreadable CSV: {detail}"},
    "encoding": {
        "fr": "le fichier n'est pas en UTF-8 (octet {offset})",
        "en": "the file is not UTF-8 (byte {offset})",
    },
    "shape": {
        "fr": 'attendu un marché, une liste de marchés ou {{"marches": …}}, trouvé {found}',
        "en": 'expected a contract, a list of contracts or {{"marches": …}}, found {found}',
    },
    "not_object": {
        "fr": "un marché doit être un objet, pas {found}",
        "en": "a contract must be an object, not {found}",
    },
    "missing": {"fr": "champ obligatoire manquant", "en": "required field is missing"},
    "columns": {
        "fr": "colonnes obligatoires absentes : {columns}",
        "en": "required columns are missing: {columns}",
    },
    "unknown": {"fr": "valeur inconnue « {value} »", "en": "unknown value '{value}'"},
    "contradiction": {
        "fr": "« {none} » avec d'autres considérations ({others})",
        "en": "'{none}' together with other considerations ({others})",
    },
    "siret": {
        "fr": "« {value} » n'est pas un SIRET (14 chiffres)",
        "en": "'{value}' is not a SIRET (14 digits)",
    },
    "date": {
        "fr": "« {value} » n'est pas une date AAAA-MM-JJ",
        "en": "'{value}' is not a YYYY-MM-DD date",
    },
    "amount": {
        "fr": "« {value} » n'est pas un montant en euros HT positif",
        "en": "'{value}' is not a positive amount in euros excluding VAT",
    },
    "text": {
        "fr": "attendu un texte d'au plus {limit} caractères",
        "en": "expected a text of at most {limit} characters",
    },
    "list": {
        "fr": "attendu une liste de valeurs, trouvé {found}",
        "en": "expected a list of values, found {found}",
    },
    "duplicate": {
        "fr": "le marché « {id} » figure déjà au {first} avec d'autres données",
        "en": "contract '{id}' is already at {first} with other data",
    },
}


@dataclass(frozen=True, order=True)
class DecpError:
    """One bad record of a DECP file: where (record or CSV line), which field, what."""

    position: int
    field: str
    code: str
    params: tuple[tuple[str, Any], ...] = ()
    line_based: bool = False  # CSV: the position is a line of the file

    def place(self, locale: str = "fr") -> str:
        if self.line_based:
            return f"{'ligne' if locale == 'fr' else 'line'} {self.position}"
        return f"record {self.position}" if self.position else "document"

    def message(self, locale: str = "fr") -> str:
        template = MESSAGES[self.code]
        return (template.get(locale) or template["fr"]).format(**dict(self.params))

    def format(self, file: str, locale: str = "fr") -> str:
        return f"{file}:{self.place(locale)}: {self.field or '(document)'}: {self.message(locale)}"


@dataclass(frozen=True)
class Contract:
    """A notified contract as far as the SPASER indicators need it."""

    uid: str  # the buyer's SIRET then the contract id, as DECP builds its `uid`
    id: str
    buyer: str
    objet: str
    amount: Decimal
    notified: date
    cpv: str
    procedure: str
    nature: str
    social: frozenset[str]
    environmental: frozenset[str]

    @property
    def has_social(self) -> bool:
        return bool(self.social - {NO_SOCIAL})

    @property
    def has_environmental(self) -> bool:
        return bool(self.environmental - {NO_ENVIRONMENTAL})

    @property
    def is_works(self) -> bool:
        return self.cpv.startswith("45")


@dataclass
class DecpFile:
    """What a DECP file holds for the organisation and the year, and what was wrong in it."""

    contracts: list[Contract] = field(default_factory=list)
    errors: list[DecpError] = field(default_factory=list)
    records: int = 0  # records read, before keeping the organisation's and the year's
    left_out: int = 0  # records of other buyers or other years


@dataclass(frozen=True)
class Scope:
    """Which records belong to the organisation: its SIRETs (all if empty) and a year."""

    sirets: frozenset[str] = frozenset()
    year: int | None = None


def read_decp(data: bytes, filename: str, scope: Scope = Scope()) -> DecpFile:
    """Read a DECP file (JSON, else CSV by its name) and keep the records `scope` selects."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return DecpFile(errors=[DecpError(0, "", "encoding", (("offset", error.start),))])
    if filename.lower().endswith(".csv"):
        return _keep(_csv_records(text), scope, line_based=True)
    try:  # record by record: a région's 50,000 contracts never sit in memory as one tree
        return _keep(_json_records(text), scope, line_based=False)
    except _ReadWhole:
        return _keep(_whole_json_records(text), scope, line_based=False)


Record = tuple[int, Any]  # position (record number or CSV line), raw record or an error


def _json_records(text: str) -> Iterator[Record | DecpError]:
    """The records of a JSON file, decoded one at a time when its list can be found."""
    found = RECORDS_LIST.search(text)
    if found is None or found.start() > ENVELOPE_SEARCH:
        yield from _whole_json_records(text)
        return
    opening = found.end() - 1
    decoder = json.JSONDecoder()
    position, number = _skip_space(text, opening + 1), 0
    closing = None
    while closing is None:
        if text.startswith("]", position):
            closing = position + 1
            break
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            raise _ReadWhole from None
        number += 1
        yield number, record
        position = _skip_space(text, position)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif not text.startswith("]", position):
            raise _ReadWhole
    # The rest of the document, with the list swapped for a marker, must lead to that list.
    try:
        envelope = json.loads(f"{text[:opening]}{json.dumps(MARKER)}{text[closing:]}")
    except json.JSONDecodeError:
        raise _ReadWhole from None
    if _records_of(envelope) != MARKER:
        raise _ReadWhole


def _whole_json_records(text: str) -> Iterator[Record | DecpError]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        detail = f"{error.msg} (ligne {error.lineno}, colonne {error.colno})"
        yield DecpError(0, "", "json", (("detail", detail),))
        return
    records = _records_of(document)
    if not isinstance(records, list):
        yield DecpError(0, "", "shape", (("found", _kind(records)),))
        return
    yield from enumerate(records, start=1)


def _records_of(document: Any) -> Any:
    """The list of contracts of each shape: {"marches": {"marche": [...]}}, {"marches":
    [...]}, a bare list, or one contract."""
    if isinstance(document, dict) and "marches" in document:
        document = document["marches"]
        if isinstance(document, dict):
            document = document.get("marche", [])
    return [document] if isinstance(document, dict) else document


def _skip_space(text: str, position: int) -> int:
    return SPACE.match(text, position).end()  # type: ignore[union-attr]


class _ReadWhole(Exception):
    """The list could not be read record by record: parse the whole document instead."""


# Consolidated exports flatten nested fields with a dot or an underscore.
CSV_ALIASES = {
    "acheteur.id": "acheteur", "acheteur_id": "acheteur", "idacheteur": "acheteur",
    "id": "id", "objet": "objet", "montant": "montant", "codecpv": "codeCPV",
    "datenotification": "dateNotification", "procedure": "procedure", "nature": "nature",
    "considerationssociales": SOCIAL_FIELD,
    "considerationsenvironnementales": ENVIRONMENTAL_FIELD,
}  # fmt: skip
CSV_REQUIRED = ("id", "acheteur", "montant", "dateNotification", SOCIAL_FIELD, ENVIRONMENTAL_FIELD)


def _csv_records(text: str) -> Iterator[Record | DecpError]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            yield DecpError(1, "", "columns", (("columns", ", ".join(CSV_REQUIRED)),), True)
            return
        names = [CSV_ALIASES.get(name.strip().lower()) for name in header]
        missing = [name for name in CSV_REQUIRED if name not in names]
        if missing:
            yield DecpError(1, "", "columns", (("columns", ", ".join(missing)),), True)
            return
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            record: dict[str, Any] = {}
            for name, cell in zip(names, row, strict=False):
                if name == "acheteur":
                    record["acheteur"] = {"id": cell.strip()}
                elif name in ALLOWED:
                    record[name] = [value for value in CELL_SEPARATOR.split(cell.strip()) if value]
                elif name is not None:
                    record[name] = cell.strip()
            yield reader.line_num, record
    except csv.Error as error:
        yield DecpError(reader.line_num, "", "csv", (("detail", str(error)),), True)


def _keep(records: Iterable[Record | DecpError], scope: Scope, *, line_based: bool) -> DecpFile:
    result = DecpFile()
    first_seen: dict[str, tuple[int, Contract]] = {}
    for entry in records:
        if isinstance(entry, DecpError):
            result.errors.append(entry)
            continue
        position, raw = entry
        result.records += 1
        if not isinstance(raw, dict):
            result.errors.append(
                DecpError(position, "", "not_object", (("found", _kind(raw)),), line_based)
            )
            continue
        if not _in_scope(raw, scope):
            result.left_out += 1
            continue
        contract, errors = _contract(position, raw, line_based)
        result.errors.extend(errors)
        if contract is None:
            continue
        earlier = first_seen.get(contract.uid)
        if earlier is None:
            first_seen[contract.uid] = (position, contract)
            result.contracts.append(contract)
        elif earlier[1] != contract:  # the same contract twice (one CSV row per holder) is fine
            place = DecpError(earlier[0], "", "missing", (), line_based).place()
            params = (("id", contract.id), ("first", place))
            result.errors.append(DecpError(position, "id", "duplicate", params, line_based))
    return result


def _in_scope(raw: dict[str, Any], scope: Scope) -> bool:
    """Whether a record is the organisation's and the year's; an unreadable one is kept."""
    buyer = raw.get("acheteur")
    siret = str(buyer.get("id", "")).strip() if isinstance(buyer, dict) else ""
    if scope.sirets and SIRET.match(siret) and siret not in scope.sirets:
        return False
    notified = ISO_DATE.match(str(raw.get("dateNotification", "")))
    return not (scope.year and notified and int(notified.group(1)) != scope.year)


def _contract(
    position: int, raw: dict[str, Any], line_based: bool
) -> tuple[Contract | None, list[DecpError]]:
    errors: list[DecpError] = []

    def bad(name: str, code: str, **params: Any) -> None:
        errors.append(DecpError(position, name, code, tuple(params.items()), line_based))

    contract_id = _text(raw.get("id"))
    if not contract_id:
        bad("id", "missing")
    buyer = raw.get("acheteur")
    siret = _text(buyer.get("id")) if isinstance(buyer, dict) else ""
    if not siret:
        bad("acheteur.id", "missing")
    elif not SIRET.match(siret):
        bad("acheteur.id", "siret", value=siret)
    objet = raw.get("objet", "")
    if not isinstance(objet, str) or len(objet) > MAX_TEXT:
        bad("objet", "text", limit=MAX_TEXT)
        objet = ""
    amount = _amount(raw.get("montant"))
    if raw.get("montant") in (None, ""):
        bad("montant", "missing")
    elif amount is None:
        bad("montant", "amount", value=_shown(raw.get("montant")))
    notified = _date(raw.get("dateNotification"))
    if raw.get("dateNotification") in (None, ""):
        bad("dateNotification", "missing")
    elif notified is None:
        bad("dateNotification", "date", value=_shown(raw.get("dateNotification")))
    considerations = {}
    for name in (SOCIAL_FIELD, ENVIRONMENTAL_FIELD):
        values, problems = _considerations(raw.get(name), name)
        for code, params in problems:
            bad(name, code, **params)
        considerations[name] = values
    if errors or amount is None or notified is None:
        return None, errors
    return Contract(
        uid=f"{siret}{contract_id}",
        id=contract_id,
        buyer=siret,
        objet=objet.strip(),
        amount=amount,
        notified=notified,
        cpv=_text(raw.get("codeCPV")),
        procedure=_text(raw.get("procedure")),
        nature=_text(raw.get("nature")),
        social=considerations[SOCIAL_FIELD],
        environmental=considerations[ENVIRONMENTAL_FIELD],
    ), []


def _considerations(
    value: Any, name: str
) -> tuple[frozenset[str], list[tuple[str, dict[str, Any]]]]:
    if isinstance(value, dict) and WRAPPERS[name] in value:
        value = value[WRAPPERS[name]]
    if isinstance(value, str):  # a single value, as some exports write it
        value = [value]
    if value is None:
        return frozenset(), [("missing", {})]
    if not isinstance(value, list):
        return frozenset(), [("list", {"found": _kind(value)})]
    problems: list[tuple[str, dict[str, Any]]] = []
    found: set[str] = set()
    for entry in value:
        text = entry.strip() if isinstance(entry, str) else _shown(entry)
        if text in ALLOWED[name]:
            found.add(text)
        else:
            problems.append(("unknown", {"value": text}))
    none = NO_SOCIAL if name == SOCIAL_FIELD else NO_ENVIRONMENTAL
    if none in found and len(found) > 1:
        others = ", ".join(sorted(found - {none}))
        problems.append(("contradiction", {"none": none, "others": others}))
    if not found and not problems:
        problems.append(("missing", {}))
    return frozenset(found), problems


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    return str(value).strip()


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    text = str(value).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if isinstance(value, str) and "," in text and "." not in text:
        text = text.replace(",", ".")  # a French decimal comma in a CSV cell
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount > 0 else None


def _date(value: Any) -> date | None:
    match = ISO_DATE.match(str(value or ""))
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _kind(value: Any) -> str:
    kinds: dict[type, str] = {dict: "un objet", list: "une liste", str: "un texte"}
    return kinds.get(type(value), _shown(value))
