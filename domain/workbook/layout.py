"""The sheets of a plan workbook, their columns (French headers), and what each one holds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column: the plan field it holds, its header, how its cells read, its help note."""

    key: str
    header: str
    kind: str  # text, id, ids, date, number, int, choice, bool, duration(s), clock, rule
    help: str
    choice: str = ""  # the drop-down list, from labels.CHOICES or the plan's own ids
    required: bool = False


ORGANISATION = "Organisation"
PEOPLE = "Personnes"
PORTFOLIOS = "Portefeuilles"
PLANS = "Plans"
INDICATORS = "Indicateurs"
OBJECTIVES = "Objectifs"
ITEMS = "Actions"
REMINDERS = "Rappels"
LISTS = "Listes"
NOTICE = "Notice"
PLAIN_WORDS = "En clair"

DURATION_HELP = "une durée : « 1 h 30 min », « 3 h », « 7 jours », « 2 semaines » (ou P7D, PT1H30M)"
OFFSETS_HELP = (
    "des délais séparés par des virgules : « 7 jours, 1 jour » ; « aucun » pour n'en envoyer "
    "aucun ; vide : le réglage du niveau au-dessus (type, puis organisation)"
)
PLAN_KEY = (
    Column("portfolio", "Portefeuille", "id", "l'identifiant du portefeuille", "portfolio", True),
    Column("year", "Année", "int", "l'année du plan, par exemple 2027", required=True),
)

ORGANISATION_ROWS = (
    Column("name", "Nom", "text", "le nom de l'organisation", required=True),
    Column("timezone", "Fuseau horaire", "text", "par exemple Europe/Paris"),
    Column("locale", "Langue", "choice", "fr ou en : la langue des courriels", "locale"),
    Column(
        "holidays", "Jours fériés", "text", "FR, ou une subdivision (FR-57, FR-6AE) ; « aucun »"
    ),
    Column(
        "working_days",
        "Jours travaillés",
        "weekdays",
        "les jours séparés par des virgules : « lundi, mardi, mercredi, jeudi, vendredi »",
    ),
    Column(
        "on_holiday",
        "Si jour férié",
        "choice",
        "une échéance un jour férié ou chômé passe au jour ouvré suivant, précédent, ou reste",
        "on_holiday",
    ),
    Column(
        "sirets",
        "SIRET",
        "ids",
        "les SIRET de l'organisation (14 chiffres), séparés par des virgules : ses marchés "
        "dans les données essentielles (DECP)",
    ),
    Column(
        "buyer_category",
        "Catégorie d'acheteur",
        "choice",
        "collectivité, État ou entité adjudicatrice : le seuil européen qui s'applique",
        "buyer_category",
    ),
    Column(
        "indicators_published_for",
        "Indicateurs publiés pour",
        "int",
        "la dernière année dont les indicateurs ont été publiés (tous les deux ans)",
    ),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    PEOPLE: (
        Column(
            "id", "Identifiant", "id", "minuscules, chiffres, - et _ : « resto »", required=True
        ),
        Column("name", "Nom", "text", "prénom et nom", required=True),
        Column("email", "Courriel", "text", "l'adresse où envoyer les rappels", required=True),
        Column("role", "Rôle", "choice", "acheteur, responsable qualité, direction…", "role", True),
        Column("locale", "Langue", "choice", "fr ou en ; vide : celle de l'organisation", "locale"),
        Column(
            "digest_only", "Résumé seul", "bool", "oui : un seul courriel récapitulatif", "bool"
        ),
    ),
    PORTFOLIOS: (
        Column("id", "Identifiant", "id", "l'identifiant du portefeuille", required=True),
        Column("name", "Nom", "text", "le nom du portefeuille d'achats", required=True),
        Column("owner", "Responsable", "id", "l'identifiant d'une personne", "person"),
        Column("buyers", "Acheteurs", "ids", "des identifiants séparés par des virgules", "person"),
        Column("cpv", "Codes CPV", "ids", "les débuts des codes CPV de ses marchés : « 45, 9091 »"),
    ),
    PLANS: (
        *PLAN_KEY,
        Column("approve_by", "Approuver avant", "date", "la date limite d'approbation"),
        Column("evaluate_on", "Évaluer le", "date", "la date de l'évaluation de fin d'année"),
    ),
    INDICATORS: (
        Column("id", "Identifiant", "id", "l'identifiant de l'indicateur", required=True),
        Column("name", "Nom", "text", "ce que l'indicateur mesure", required=True),
        Column("unit", "Unité", "choice", "pourcentage, nombre, euros ou heures", "unit", True),
        Column("direction", "Sens", "choice", "hausse ou baisse : le sens du progrès", "direction"),
        Column("baseline", "Référence", "number", "la valeur de départ"),
        Column("target", "Cible", "number", "la valeur visée"),
        Column("floor", "Plancher", "number", "le minimum légal, s'il y en a un"),
        Column("portfolios", "Portefeuilles", "ids", "les portefeuilles, séparés par des virgules"),
        Column("source", "Source", "text", "d'où viennent les valeurs"),
        Column("aggregation", "Agrégation", "choice", "comment l'année se calcule", "aggregation"),
        Column("scope", "Portée", "choice", "portefeuille ou organisation", "scope"),
        Column(
            "numerator", "Numérateur", "id", "pour un ratio : l'indicateur du dessus", "indicator"
        ),
        Column(
            "denominator", "Dénominateur", "id", "pour un ratio : celui du dessous", "indicator"
        ),
        Column("computed", "Calculé", "choice", "mesuré par Boucle lui-même", "computed"),
    ),
    OBJECTIVES: (
        *PLAN_KEY,
        Column("id", "Identifiant", "id", "l'identifiant de l'objectif", required=True),
        Column("statement", "Énoncé", "freetext", "l'objectif en une phrase", required=True),
        Column(
            "pillar",
            "Pilier",
            "choice",
            "environnemental, social, économique ou économie circulaire",
            "pillar",
        ),
        Column("level", "Niveau", "choice", "stratégique, organisationnel, opérationnel", "level"),
        Column("indicators", "Indicateurs", "ids", "les indicateurs qui le mesurent", "indicator"),
    ),
    ITEMS: (
        *PLAN_KEY,
        Column("id", "Identifiant", "id", "l'identifiant de l'action dans son plan", required=True),
        Column("kind", "Type", "choice", "formation, action, veille réglementaire…", "kind", True),
        Column("title", "Titre", "text", "ce que les personnes liront", required=True),
        Column(
            "assignees",
            "Responsables",
            "ids",
            "qui fait : identifiants séparés par des virgules",
            "person",
            True,
        ),
        Column("start", "Début", "date", "date et heure de la (première) occurrence"),
        Column("due", "Échéance", "date", "ou une échéance (date seule : 17 h ce jour-là)"),
        Column("every", "Chaque", "rule", "pour répéter : jour, semaine, mois ou an", "frequency"),
        Column(
            "interval", "Intervalle", "rule", "tous les combien : 3 avec « mois » = tous les 3 mois"
        ),
        Column(
            "day",
            "Jour",
            "rule",
            "lundi…dimanche (plusieurs : « lundi, jeudi »), ou un quantième 1 à 31, ou « dernier »",
            "weekday",
        ),
        Column(
            "rank",
            "Rang",
            "rule",
            "avec un jour de semaine, chaque mois : 1er, 2e, 3e, 4e, 5e ou dernier",
            "rank",
        ),
        Column(
            "rrule",
            "Règle RRULE",
            "text",
            "une règle RFC 5545 que les colonnes ne savent pas dire ; vide sinon",
        ),
        Column("duration", "Durée", "duration", DURATION_HELP),
        Column("location", "Lieu", "text", "où a lieu une formation ou une rencontre"),
        Column(
            "attendees",
            "Participants",
            "ids",
            "qui est invité (formations et rencontres)",
            "person",
        ),
        Column(
            "indicators", "Indicateurs", "ids", "pour un point indicateurs : lesquels", "indicator"
        ),
        Column("objective", "Objectif", "id", "l'objectif du plan que l'action sert"),
        Column(
            "on_holiday",
            "Si jour férié",
            "choice",
            "vide : le réglage de l'organisation",
            "on_holiday",
        ),
        Column("description", "Description", "freetext", "ce qu'il faut savoir pour la faire"),
        Column(
            "carried_over_from", "Reportée de", "text", "rempli par Boucle pour une action reportée"
        ),
    ),
    REMINDERS: (
        Column(
            "scope",
            "Portée",
            "choice",
            "organisation, type ou action : à qui s'applique la ligne",
            "reminder_scope",
            True,
        ),
        Column("kind", "Type", "choice", "pour une ligne « type » : le type d'action", "kind"),
        Column(
            "portfolio",
            "Portefeuille",
            "id",
            "pour une ligne « action » : son portefeuille",
            "portfolio",
        ),
        Column("year", "Année", "int", "pour une ligne « action » : l'année de son plan"),
        Column("item", "Action", "id", "pour une ligne « action » : son identifiant"),
        Column("before", "Avant l'échéance", "durations", OFFSETS_HELP),
        Column("on_due", "Le jour même", "bool", "oui ou non ; vide : le niveau au-dessus", "bool"),
        Column("overdue", "Relances après", "durations", OFFSETS_HELP),
        Column(
            "escalate_after",
            "Escalade après",
            "duration",
            "délai après l'échéance pour prévenir le responsable qualité ; « aucun »",
        ),
        Column("send_at", "Heure d'envoi", "clock", "l'heure des rappels, par exemple 09:00"),
    ),
}
DATA_SHEETS = (ORGANISATION, *COLUMNS)
RULE_KEYS = ("every", "interval", "day", "rank")
