"""Recurrence rules said in words: a table of hand-written sentences and a fuzz over valid rules."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from domain.calendar import TooManyOccurrences, expand_rrule, parse_recurrence
from domain.recurrence_words import describe_recurrence, describe_recurrence_at, time_of_day

# A plan may give both COUNT and UNTIL; dateutil honours both and warns.
pytestmark = pytest.mark.filterwarnings("ignore:Using both 'count' and 'until':DeprecationWarning")

MONDAY_4_JANUARY = datetime(2027, 1, 4, 9, 30)
NEVER = {
    "fr": "jamais\u00a0: aucun jour ne répond à cette règle",
    "en": "never: no day matches this rule",
}

# rule, start, French, English — written by hand from what the calendar expands.
TABLE = [
    (
        "FREQ=MONTHLY;BYDAY=1MO",
        MONDAY_4_JANUARY,
        "le premier lundi de chaque mois",
        "every first Monday of the month",
    ),
    (
        "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1",
        datetime(2027, 3, 31, 17),
        "tous les trois mois, le dernier jour du mois",
        "every three months, on the last day of the month",
    ),
    (
        "FREQ=WEEKLY;BYDAY=TU,TH",
        MONDAY_4_JANUARY,
        "chaque semaine le mardi et le jeudi",
        "every week on Tuesday and Thursday",
    ),
    (
        "FREQ=YEARLY;INTERVAL=2",
        datetime(2027, 3, 15, 10),
        "tous les deux ans, le 15 mars",
        "every two years, on 15 March",
    ),
    (
        "FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYMONTHDAY=15",
        MONDAY_4_JANUARY,
        "tous les deux ans, le 15 mars",
        "every two years, on 15 March",
    ),
    ("FREQ=MONTHLY", MONDAY_4_JANUARY, "le 4 de chaque mois", "on the 4th of every month"),
    ("FREQ=MONTHLY", datetime(2027, 2, 1, 9), "le 1er de chaque mois", "on the 1st of every month"),
    (
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=2TH",
        MONDAY_4_JANUARY,
        "tous les deux mois, le deuxième jeudi du mois",
        "every two months, on the second Thursday of the month",
    ),
    (
        "FREQ=MONTHLY;INTERVAL=12;BYDAY=-1FR",
        MONDAY_4_JANUARY,
        "tous les douze mois, le dernier vendredi du mois",
        "every twelve months, on the last Friday of the month",
    ),
    (
        "FREQ=MONTHLY;INTERVAL=13",
        MONDAY_4_JANUARY,
        "tous les 13 mois, le 4 du mois",
        "every 13 months, on the 4th of the month",
    ),
    (
        "FREQ=MONTHLY;BYDAY=1MO,3MO",
        MONDAY_4_JANUARY,
        "le premier et le troisième lundi de chaque mois",
        "every first and third Monday of the month",
    ),
    (
        "FREQ=MONTHLY;BYDAY=1MO,-1FR",
        MONDAY_4_JANUARY,
        "le premier lundi et le dernier vendredi de chaque mois",
        "every first Monday and last Friday of the month",
    ),
    (
        "FREQ=MONTHLY;BYDAY=-2WE",
        MONDAY_4_JANUARY,
        "l'avant-dernier mercredi de chaque mois",
        "every second-to-last Wednesday of the month",
    ),
    (
        "FREQ=MONTHLY;BYDAY=-3FR",
        MONDAY_4_JANUARY,
        "le troisième vendredi en partant de la fin de chaque mois",
        "every third-to-last Friday of the month",
    ),
    (
        "FREQ=MONTHLY;BYMONTHDAY=1,15",
        MONDAY_4_JANUARY,
        "le 1er et le 15 de chaque mois",
        "on the 1st and the 15th of every month",
    ),
    (
        "FREQ=MONTHLY;BYMONTHDAY=1,-1",
        MONDAY_4_JANUARY,
        "le 1er et le dernier jour de chaque mois",
        "on the 1st and the last day of every month",
    ),
    (
        "FREQ=MONTHLY;BYMONTHDAY=-2",
        MONDAY_4_JANUARY,
        "l'avant-dernier jour de chaque mois",
        "on the second-to-last day of every month",
    ),
    (
        "FREQ=MONTHLY;BYMONTHDAY=31",
        MONDAY_4_JANUARY,
        "le 31 de chaque mois (les mois qui en ont un)",
        "on the 31st of every month (in the months that have one)",
    ),
    (
        "FREQ=MONTHLY;BYMONTH=1,4,7,10;BYMONTHDAY=15",
        MONDAY_4_JANUARY,
        "le 15 janvier, le 15 avril, le 15 juillet et le 15 octobre",
        "on 15 January, 15 April, 15 July and 15 October",
    ),
    (
        "FREQ=MONTHLY;BYMONTH=4,10;BYDAY=1MO",
        MONDAY_4_JANUARY,
        "le premier lundi d'avril et d'octobre",
        "every first Monday of April and October",
    ),
    (
        "FREQ=MONTHLY;INTERVAL=2;BYMONTH=1,3,5",
        MONDAY_4_JANUARY,
        "tous les deux mois, le 4 du mois, en janvier, en mars et en mai",
        "every two months, on the 4th of the month, in January, March and May",
    ),
    (
        "FREQ=WEEKLY;BYMONTH=1,2,3",
        MONDAY_4_JANUARY,
        "chaque semaine le lundi, de janvier à mars",
        "every week on Monday, from January to March",
    ),
    ("FREQ=WEEKLY", MONDAY_4_JANUARY, "chaque semaine le lundi", "every week on Monday"),
    (
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        MONDAY_4_JANUARY,
        "chaque semaine du lundi au vendredi",
        "every week from Monday to Friday",
    ),
    (
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,FR",
        MONDAY_4_JANUARY,
        "chaque semaine du lundi au mercredi et le vendredi",
        "every week from Monday to Wednesday and Friday",
    ),
    (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
        MONDAY_4_JANUARY,
        "toutes les deux semaines, le mercredi",
        "every two weeks, on Wednesday",
    ),
    (
        "FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=SU,MO",
        MONDAY_4_JANUARY,
        "toutes les deux semaines (semaines commençant le dimanche), le lundi et le dimanche",
        "every two weeks (weeks starting on Sunday), on Monday and Sunday",
    ),
    (
        "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=-1",
        MONDAY_4_JANUARY,
        "chaque semaine le vendredi",
        "every week on Friday",
    ),
    (
        "FREQ=WEEKLY;BYMONTH=7,8",
        MONDAY_4_JANUARY,
        "chaque semaine le lundi, en juillet et en août",
        "every week on Monday, in July and August",
    ),
    ("FREQ=DAILY", MONDAY_4_JANUARY, "chaque jour", "every day"),
    ("FREQ=DAILY;INTERVAL=2", MONDAY_4_JANUARY, "tous les deux jours", "every two days"),
    (
        "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
        MONDAY_4_JANUARY,
        "chaque jour du lundi au vendredi",
        "every day from Monday to Friday",
    ),
    (
        "FREQ=DAILY;BYDAY=MO,TH",
        MONDAY_4_JANUARY,
        "chaque lundi et jeudi",
        "every Monday and Thursday",
    ),
    (
        "FREQ=DAILY;INTERVAL=3;BYDAY=MO",
        MONDAY_4_JANUARY,
        "tous les trois jours, quand le jour tombe un lundi",
        "every three days, when the day falls on a Monday",
    ),
    (
        "FREQ=DAILY;BYMONTH=7,8",
        MONDAY_4_JANUARY,
        "chaque jour qui tombe en juillet ou en août",
        "every day that falls in July or August",
    ),
    ("FREQ=YEARLY", MONDAY_4_JANUARY, "chaque année le 4 janvier", "every year on 4 January"),
    (
        "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        MONDAY_4_JANUARY,
        "chaque année le dernier dimanche de mars",
        "every year on the last Sunday of March",
    ),
    (
        "FREQ=YEARLY;BYDAY=1MO",
        MONDAY_4_JANUARY,
        "le premier lundi de chaque année",
        "every first Monday of the year",
    ),
    (
        "FREQ=YEARLY;INTERVAL=2;BYDAY=20MO",
        MONDAY_4_JANUARY,
        "tous les deux ans, le 20e lundi de l'année",
        "every two years, on the 20th Monday of the year",
    ),
    (
        "FREQ=YEARLY;BYYEARDAY=100",
        MONDAY_4_JANUARY,
        "le 100e jour de chaque année",
        "on the 100th day of every year",
    ),
    (
        "FREQ=YEARLY;BYYEARDAY=1,-1",
        MONDAY_4_JANUARY,
        "le premier et le dernier jour de chaque année",
        "on the first and last day of every year",
    ),
    (
        "FREQ=YEARLY;BYMONTHDAY=1",
        MONDAY_4_JANUARY,
        "le 1er de chaque mois",
        "on the 1st of every month",
    ),
    (
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        MONDAY_4_JANUARY,
        "chaque année le 29 février (les années bissextiles)",
        "every year on 29 February (in leap years)",
    ),
    (
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1",
        MONDAY_4_JANUARY,
        "chaque année le dernier jour de février",
        "every year on the last day of February",
    ),
    (
        "FREQ=YEARLY;BYMONTH=1,2,3;BYDAY=MO",
        MONDAY_4_JANUARY,
        "chaque lundi de janvier, de février et de mars",
        "every Monday in January, February and March",
    ),
    ("FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=31", MONDAY_4_JANUARY, NEVER["fr"], NEVER["en"]),
    ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=-30;COUNT=3", MONDAY_4_JANUARY, NEVER["fr"], NEVER["en"]),
    (
        "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
        MONDAY_4_JANUARY,
        "chaque année, les jours qui tombent un lundi et dans la semaine 20 de l'année",
        "every year, on the days that fall on a Monday and in week 20 of the year",
    ),
    (
        "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
        MONDAY_4_JANUARY,
        "chaque mois, les jours qui tombent un vendredi et le 13 du mois",
        "every month, on the days that fall on a Friday and on the 13th of the month",
    ),
    (
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        MONDAY_4_JANUARY,
        "chaque mois, le dernier des jours qui tombent du lundi au vendredi",
        "every month, the last of the days that fall between Monday and Friday",
    ),
    (
        "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-3",
        MONDAY_4_JANUARY,
        "chaque mois, parmi les jours qui tombent un lundi ou un mardi, "
        "le troisième en partant de la fin",
        "every month, the third-to-last of the days that fall on a Monday or on a Tuesday",
    ),
    ("FREQ=MONTHLY;BYDAY=1MO,FR", MONDAY_4_JANUARY, NEVER["fr"], NEVER["en"]),
    ("FREQ=DAILY;BYSETPOS=2", MONDAY_4_JANUARY, NEVER["fr"], NEVER["en"]),
    (
        "FREQ=MONTHLY;BYDAY=1MO;COUNT=10",
        MONDAY_4_JANUARY,
        "le premier lundi de chaque mois, dix fois au total",
        "every first Monday of the month, ten times in all",
    ),
    (
        "FREQ=WEEKLY;COUNT=2",
        MONDAY_4_JANUARY,
        "chaque semaine le lundi, deux fois au total",
        "every week on Monday, twice in all",
    ),
    (
        "FREQ=MONTHLY;COUNT=1",
        MONDAY_4_JANUARY,
        "le 4 de chaque mois, une seule fois",
        "on the 4th of every month, once only",
    ),
    (
        "FREQ=MONTHLY;BYDAY=1MO;UNTIL=20270701",
        MONDAY_4_JANUARY,
        "le premier lundi de chaque mois, jusqu'au 1er juillet 2027",
        "every first Monday of the month, until 1 July 2027",
    ),
    # UNTIL at 08:00 stops before that day's 09:30 occurrence.
    (
        "FREQ=DAILY;COUNT=500;UNTIL=20271231T080000",
        MONDAY_4_JANUARY,
        "chaque jour, 500 fois au plus, jusqu'au 30 décembre 2027",
        "every day, at most 500 times, until 30 December 2027",
    ),
    (
        "RRULE:freq=monthly;byday=+1mo",
        MONDAY_4_JANUARY,
        "le premier lundi de chaque mois",
        "every first Monday of the month",
    ),
]


@pytest.mark.parametrize(("rule", "start", "french", "english"), TABLE)
def test_each_rule_reads_as_a_person_would_say_it(
    rule: str, start: datetime, french: str, english: str
) -> None:
    assert describe_recurrence(rule, start, "fr") == french
    assert describe_recurrence(rule, start, "en") == english


def test_the_table_holds_forty_sentences_or_more() -> None:
    assert len(TABLE) >= 40


def test_the_time_of_day_comes_before_the_end_of_the_rule() -> None:
    rule = "FREQ=MONTHLY;BYDAY=1MO;COUNT=3"
    assert describe_recurrence_at(rule, MONDAY_4_JANUARY, "fr") == (
        "le premier lundi de chaque mois à 9\u00a0h\u00a030, trois fois au total"
    )
    assert describe_recurrence_at(rule, MONDAY_4_JANUARY, "en") == (
        "every first Monday of the month at 9:30 AM, three times in all"
    )
    assert time_of_day(datetime(2027, 3, 16, 14, 0), "fr") == "à 14\u00a0h"
    assert time_of_day(date(2027, 3, 16), "fr") is None
    assert describe_recurrence_at("FREQ=MONTHLY", date(2027, 3, 16), "fr") == "le 16 de chaque mois"


def test_locales_aware_starts_and_utc_until_are_read_as_people_mean_them() -> None:
    paris = datetime(2027, 1, 4, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
    # 08:00 UTC on 1 July is 10:00 in Paris: that day's 09:30 occurrence is kept.
    rule = "FREQ=MONTHLY;BYDAY=1MO;UNTIL=20270701T080000Z"
    assert describe_recurrence(rule, paris, "fr-FR").endswith("jusqu'au 1er juillet 2027")
    assert describe_recurrence(rule, paris, "en_GB").endswith("until 1 July 2027")
    assert describe_recurrence("FREQ=DAILY", paris, "de") == "chaque jour"


@pytest.mark.parametrize(
    "rule", ["FREQ=HOURLY", "FREQ=DAILY;BYHOUR=9", "FREQ=YEARLY;BYEASTER=0", "FREQ=SOMETIMES"]
)
def test_a_rule_the_plan_refuses_is_refused_here_too(rule: str) -> None:
    with pytest.raises(ValueError):
        describe_recurrence(rule, MONDAY_4_JANUARY, "fr")


WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
_numbers = st.integers(min_value=-5, max_value=5).filter(bool)
_weekday = st.tuples(st.one_of(st.just(""), _numbers.map(str)), st.sampled_from(WEEKDAYS)).map(
    "".join
)
_listed = lambda values: st.lists(values, min_size=1, max_size=4).map(  # noqa: E731
    lambda items: ",".join(str(item) for item in items)
)
_parts = st.fixed_dictionaries(
    {"FREQ": st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"])},
    optional={
        "INTERVAL": st.integers(1, 15),
        "BYDAY": _listed(_weekday),
        "BYMONTHDAY": _listed(st.integers(-31, 31).filter(bool)),
        "BYMONTH": _listed(st.integers(1, 12)),
        "BYSETPOS": _listed(st.integers(-6, 6).filter(bool)),
        "BYYEARDAY": _listed(st.integers(-366, 366).filter(bool)),
        "BYWEEKNO": _listed(st.integers(-53, 53).filter(bool)),
        "WKST": st.sampled_from(WEEKDAYS),
        "COUNT": st.integers(1, 3000),
        "UNTIL": st.dates(date(2027, 1, 1), date(2030, 12, 31)).map(lambda d: d.strftime("%Y%m%d")),
    },
)
_starts = st.datetimes(datetime(2027, 1, 1), datetime(2027, 12, 31, 23, 59))


def _occurs(rule: str, start: datetime) -> bool:
    for year in range(start.year, start.year + 4):
        try:
            if expand_rrule(rule, start, year).moments:
                return True
        except TooManyOccurrences:
            return True
    return False


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=_parts, start=_starts)
def test_every_valid_rule_is_said_cleanly_and_never_is_said_only_of_rules_that_never_occur(
    parts: dict[str, object], start: datetime
) -> None:
    rule = ";".join(f"{key}={value}" for key, value in parts.items())
    try:
        parse_recurrence(rule, start)
    except ValueError:
        assume(False)
    sentences = {locale: describe_recurrence_at(rule, start, locale) for locale in ("fr", "en")}
    for locale, sentence in sentences.items():
        assert sentence and sentence == sentence.strip()
        for leak in ("None", "weekday(", "_Rule", "{", "}", "  ", " ,", ",,", "[", "rrule"):
            assert leak not in sentence, (rule, locale, sentence)
        if sentence == NEVER[locale]:
            assert not _occurs(rule, start), (rule, sentence)
    assert sentences["fr"] != sentences["en"]
