"""The words a workbook shows for the plan format's values, in French, and back."""

from __future__ import annotations

from enum import StrEnum

from domain.model import (
    Aggregation,
    BuyerCategory,
    Computed,
    Direction,
    Kind,
    Level,
    Locale,
    OnHoliday,
    Pillar,
    Role,
    Scope,
    Unit,
    Weekday,
)

CHOICES: dict[str, dict[str, str]] = {
    "kind": {
        Kind.regulatory_watch_review: "veille réglementaire",
        Kind.training_session: "formation",
        Kind.supplier_meeting: "rencontre fournisseurs",
        Kind.indicator_checkpoint: "point indicateurs",
        Kind.action: "action",
    },
    "role": {
        Role.officer: "responsable qualité",
        Role.buyer: "acheteur",
        Role.direction: "direction",
        Role.admin: "administrateur",
    },
    "pillar": {
        Pillar.environmental: "environnemental",
        Pillar.social: "social",
        Pillar.economic: "économique",
        Pillar.circular_economy: "économie circulaire",
    },
    "level": {
        Level.strategic: "stratégique",
        Level.organisational: "organisationnel",
        Level.operational: "opérationnel",
    },
    "unit": {
        Unit.percent: "pourcentage",
        Unit.count: "nombre",
        Unit.euros: "euros",
        Unit.hours: "heures",
    },
    "direction": {Direction.increase: "hausse", Direction.decrease: "baisse"},
    "aggregation": {
        Aggregation.sum: "somme",
        Aggregation.mean: "moyenne",
        Aggregation.last: "dernière valeur",
        Aggregation.ratio: "ratio",
    },
    "scope": {Scope.portfolio: "portefeuille", Scope.organisation: "organisation"},
    "computed": {
        Computed.watch_reviews_on_time: "revues de veille à l'heure",
        Computed.trainings_held: "formations tenues",
        Computed.sourcing_meetings_held: "rencontres fournisseurs tenues",
        Computed.decp_environmental: "DECP : considération environnementale",
        Computed.decp_social: "DECP : considération sociale",
        Computed.decp_reserved: "DECP : marché réservé",
        Computed.decp_social_clause: "DECP : clause sociale",
        Computed.decp_social_criterion: "DECP : critère social",
        Computed.decp_environmental_clause: "DECP : clause environnementale",
        Computed.decp_environmental_criterion: "DECP : critère environnemental",
    },
    "on_holiday": {
        OnHoliday.next_working_day: "jour ouvré suivant",
        OnHoliday.previous_working_day: "jour ouvré précédent",
        OnHoliday.keep: "garder la date",
    },
    "locale": {Locale.fr: "fr", Locale.en: "en"},
    "buyer_category": {
        BuyerCategory.local: "collectivité",
        BuyerCategory.central: "État",
        BuyerCategory.utility: "entité adjudicatrice",
    },
    "weekday": {
        Weekday.MO: "lundi",
        Weekday.TU: "mardi",
        Weekday.WE: "mercredi",
        Weekday.TH: "jeudi",
        Weekday.FR: "vendredi",
        Weekday.SA: "samedi",
        Weekday.SU: "dimanche",
    },
    "bool": {"true": "oui", "false": "non"},
    "frequency": {"DAILY": "jour", "WEEKLY": "semaine", "MONTHLY": "mois", "YEARLY": "an"},
    "rank": {"1": "1er", "2": "2e", "3": "3e", "4": "4e", "5": "5e", "-1": "dernier"},
    "reminder_scope": {"organisation": "organisation", "kind": "type", "item": "action"},
}
NONE_WORD = "aucun"  # a reminder setting turned off, or no holiday calendar
NONE_WORDS = {"aucun", "aucune", "none", "off"}


def label(choice: str, value: str | StrEnum) -> str:
    """The French word for `value` of `choice`."""
    return CHOICES[choice][value]


def words(choice: str) -> list[str]:
    return list(CHOICES[choice].values())


def _fold(text: str) -> str:
    return " ".join(text.strip().lower().replace("’", "'").split())


_LOOKUP: dict[str, dict[str, str]] = {
    choice: {
        **{_fold(str(value)): str(value) for value in values},
        **{_fold(word): str(value) for value, word in values.items()},
    }
    for choice, values in CHOICES.items()
}
_LOOKUP["bool"].update({"vrai": "true", "faux": "false", "yes": "true", "no": "false"})
_LOOKUP["rank"].update({"premier": "1", "1e": "1", "1re": "1", "last": "-1"})
_LOOKUP["frequency"].update({"année": "YEARLY", "ans": "YEARLY", "jours": "DAILY"})
_LOOKUP["frequency"].update({"semaines": "WEEKLY", "day": "DAILY", "week": "WEEKLY"})
_LOOKUP["frequency"].update({"month": "MONTHLY", "year": "YEARLY"})


def value_of(choice: str, text: str) -> str | None:
    """The plan format's value that `text` names (its word or the value itself), or None."""
    return _LOOKUP[choice].get(_fold(text))
