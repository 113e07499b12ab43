"""The words recurrences are said with, in French and English: numbers, ordinals, names, lists."""

from __future__ import annotations

from datetime import date, time

from babel.dates import format_time, get_day_names, get_month_names
from babel.numbers import format_decimal

LOCALES = ("fr", "en")

_CARDINALS = {
    "fr": [
        "un",
        "deux",
        "trois",
        "quatre",
        "cinq",
        "six",
        "sept",
        "huit",
        "neuf",
        "dix",
        "onze",
        "douze",
    ],
    "en": [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
    ],
}
_ORDINALS = {
    "fr": [
        "premier",
        "deuxième",
        "troisième",
        "quatrième",
        "cinquième",
        "sixième",
        "septième",
        "huitième",
        "neuvième",
        "dixième",
        "onzième",
        "douzième",
    ],
    "en": [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
    ],
}
_VOWELS = tuple("aeiouyéèêàâîôûh")


def locale_of(locale: str) -> str:
    """'fr' or 'en' from a locale such as 'en_GB' or 'fr-FR'; French when unknown."""
    short = locale.replace("-", "_").split("_")[0].lower()
    return short if short in LOCALES else "fr"


def number(value: int, locale: str) -> str:
    """Numbers in words up to twelve, in digits (grouped as Babel does) beyond."""
    if 1 <= value <= 12:
        return _CARDINALS[locale][value - 1]
    return format_decimal(value, locale=locale)


def ordinal(value: int, locale: str) -> str:
    """'troisième' / 'third' up to twelve, '13e' / '13th' beyond."""
    if 1 <= value <= 12:
        return _ORDINALS[locale][value - 1]
    if locale == "fr":
        return f"{value}e"
    return f"{value}{_english_suffix(value)}"


def day_number(value: int, locale: str) -> str:
    """A day of the month as dates write it: '1er', '15' / '1st', '15th'."""
    if locale == "fr":
        return "1er" if value == 1 else str(value)
    return f"{value}{_english_suffix(value)}"


def _english_suffix(value: int) -> str:
    if value % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")


def counted_ordinal(position: int, noun: str, locale: str) -> str:
    """'le premier lundi', "l'avant-dernier lundi", 'the third-to-last Monday'."""
    if locale == "fr":
        if position == -1:
            return f"le dernier {noun}"
        if position == -2:
            return f"l'avant-dernier {noun}"
        if position < 0:
            return f"le {ordinal(-position, locale)} {noun} en partant de la fin"
        return f"le {ordinal(position, locale)} {noun}"
    if position == -1:
        return f"the last {noun}"
    if position < 0:
        return f"the {ordinal(-position, locale)}-to-last {noun}"
    return f"the {ordinal(position, locale)} {noun}"


def position(value: int, locale: str) -> str:
    """'le premier', "l'avant-dernier", 'le troisième en partant de la fin' (French only)."""
    if value == -1:
        return "le dernier"
    if value == -2:
        return "l'avant-dernier"
    if value < 0:
        return f"le {ordinal(-value, locale)} en partant de la fin"
    return f"le {ordinal(value, locale)}"


def bare_ordinals(positions: list[int], locale: str) -> str | None:
    """'le premier et le troisième' / 'first and third', when all of them read before a noun."""
    if locale == "fr":
        if any(position < -2 for position in positions):
            return None
        words = [
            "le dernier"
            if position == -1
            else "l'avant-dernier"
            if position == -2
            else f"le {ordinal(position, locale)}"
            for position in positions
        ]
        return join(words, locale)
    words = [
        "last"
        if position == -1
        else f"{ordinal(-position, locale)}-to-last"
        if position < 0
        else ordinal(position, locale)
        for position in positions
    ]
    return join(words, locale)


def weekday_name(weekday: int, locale: str) -> str:
    """'lundi' / 'Monday' for 0."""
    return str(get_day_names("wide", locale=locale)[weekday])


def month_name(month: int, locale: str) -> str:
    """'mars' / 'March' for 3."""
    return str(get_month_names("wide", locale=locale)[month])


def of_month(month: int, locale: str) -> str:
    """'de mars', "d'avril" — the French preposition elides before a vowel."""
    name = month_name(month, locale)
    return f"d'{name}" if name.startswith(_VOWELS) else f"de {name}"


def day_and_month(day: int, month: int, locale: str) -> str:
    """'1er mars' / '1 March'."""
    if locale == "fr":
        return f"{day_number(day, locale)} {month_name(month, locale)}"
    return f"{day} {month_name(month, locale)}"


def full_date(day: date, locale: str) -> str:
    """'1er juillet 2027' / '1 July 2027'."""
    return f"{day_and_month(day.day, day.month, locale)} {day.year}"


def clock_time(moment: time, locale: str) -> str:
    """'9 h 30' with non-breaking spaces / '9:30 AM', as the emails write times."""
    if locale == "fr":
        hour = f"{moment.hour}\u00a0h"
        return f"{hour}\u00a0{moment.minute:02d}" if moment.minute else hour
    return str(format_time(moment, "h:mm a", locale=locale))


def join(words: list[str], locale: str, last: str = "and") -> str:
    """'a, b et c' / 'a, b and c'; `last` is 'and' or 'or'."""
    conjunction = {"and": {"fr": "et", "en": "and"}, "or": {"fr": "ou", "en": "or"}}[last][locale]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def runs(values: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs in sorted `values`: [0, 1, 2, 4] → [(0, 2), (4, 4)]."""
    found: list[tuple[int, int]] = []
    for value in values:
        if found and value == found[-1][1] + 1:
            found[-1] = (found[-1][0], value)
        else:
            found.append((value, value))
    return found
