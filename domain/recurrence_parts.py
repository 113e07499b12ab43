"""Phrases for the parts of a rule: weekdays, days of the month and of the year, weeks, months."""

from __future__ import annotations

from domain import recurrence_vocabulary as words

MONTH_LENGTHS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def week(n: int, locale: str) -> str:
    if locale == "fr":
        if n == -1:
            return "la dernière semaine"
        if n == -2:
            return "l'avant-dernière semaine"
        if n < 0:
            return f"la {words.ordinal(-n, locale)} semaine en partant de la fin"
        return f"la semaine {n}"
    if n < 0:
        return words.counted_ordinal(n, "week", locale)
    return f"week {n}"


def weekday_runs(days: tuple[int, ...]) -> list[tuple[int, int]]:
    """Runs of three days or more read 'du lundi au vendredi'; shorter ones are listed."""
    found: list[tuple[int, int]] = []
    for first, last in words.runs(sorted(days)):
        if last - first >= 2:
            found.append((first, last))
        else:
            found.extend((day, day) for day in range(first, last + 1))
    return found


def weekday_list(days: tuple[int, ...], locale: str) -> str:
    """'le mardi et le jeudi', 'du lundi au vendredi' / 'on Tuesday and Thursday'."""
    fr = locale == "fr"
    parts = []
    for first, last in weekday_runs(days):
        a, b = words.weekday_name(first, locale), words.weekday_name(last, locale)
        if first != last:
            parts.append(f"du {a} au {b}" if fr else f"from {a} to {b}")
        else:
            parts.append(f"le {a}" if fr else f"on {a}")
    if not fr:  # 'on Tuesday and on Thursday' reads heavy: one 'on' for the listed days
        parts = [parts[0]] + [part.removeprefix("on ") for part in parts[1:]]
    return words.join(parts, locale)


def every_weekday(days: tuple[int, ...], locale: str) -> str:
    """'chaque lundi et jeudi', 'chaque jour du lundi au vendredi' / 'every Monday and Thursday'."""
    fr = locale == "fr"
    runs = weekday_runs(days)
    if len(runs) == 1 and runs[0][0] != runs[0][1]:
        a, b = (words.weekday_name(day, locale) for day in runs[0])
        return f"chaque jour du {a} au {b}" if fr else f"every day from {a} to {b}"
    names = [words.weekday_name(day, locale) for day in sorted(days)]
    return f"{'chaque' if fr else 'every'} {words.join(names, locale)}"


def weekday_condition(days: tuple[int, ...], locale: str) -> str:
    """'un lundi ou un jeudi', 'du lundi au vendredi' / 'on a Monday or a Thursday'."""
    fr = locale == "fr"
    parts = []
    for first, last in weekday_runs(days):
        a, b = words.weekday_name(first, locale), words.weekday_name(last, locale)
        if first != last:
            parts.append(f"du {a} au {b}" if fr else f"between {a} and {b}")
        else:
            parts.append(f"un {a}" if fr else f"on a {a}")
    return words.join(parts, locale, "or")


def nth_one(day: int, n: int, locale: str) -> str:
    return words.counted_ordinal(n, words.weekday_name(day, locale), locale)


def nth_bare(nth: tuple[tuple[int, int], ...], locale: str) -> str | None:
    """'first and third Monday' for 'every … of the month', when the ordinals read before a noun."""
    groups: dict[int, list[int]] = {}
    for day, n in sorted(nth, key=lambda pair: (pair[0], position_order(pair[1]))):
        groups.setdefault(day, []).append(n)
    parts = []
    for day, positions in groups.items():
        said = words.bare_ordinals(positions, locale)
        if said is None:
            return None
        parts.append(f"{said} {words.weekday_name(day, locale)}")
    return words.join(parts, locale)


def nth_list(nth: tuple[tuple[int, int], ...], locale: str) -> str:
    """'le premier et le troisième lundi' / 'the first and third Monday'."""
    bare = nth_bare(nth, locale)
    if bare is not None:
        return bare if locale == "fr" else f"the {bare}"
    ordered = sorted(nth, key=lambda pair: (pair[0], position_order(pair[1])))
    return words.join([nth_one(day, n, locale) for day, n in ordered], locale)


def position_order(position: int) -> int:
    """First to last within a month: 1, 2, …, then −2, −1."""
    return position if position > 0 else 100 + position


def monthday_list(days: tuple[int, ...], locale: str, bare: bool) -> str:
    """'le 1er, le 15 et le dernier jour' / 'the 1st, the 15th and the last day'."""
    fr = locale == "fr"
    ordered = sorted(days, key=position_order)
    parts = []
    for day in ordered:
        if day > 0:
            parts.append(
                f"le {words.day_number(day, locale)}"
                if fr
                else f"the {words.day_number(day, locale)}"
            )
        else:
            parts.append(words.counted_ordinal(day, "jour" if fr else "day", locale))
    return words.join(parts, locale, "and" if bare else "or")


def missing_day_note(days: tuple[int, ...], months: range | tuple[int, ...], locale: str) -> str:
    """A day some of the months lack (31, or 29 in February) is skipped in those months."""
    shortest = min(28 if month == 2 else MONTH_LENGTHS[month - 1] for month in months)
    if all(abs(day) <= shortest for day in days):
        return ""
    return " (les mois qui en ont un)" if locale == "fr" else " (in the months that have one)"


def yeardays(days: tuple[int, ...], locale: str) -> str:
    noun = "jour" if locale == "fr" else "day"
    ordered = sorted(days, key=lambda day: day if day > 0 else 1000 + day)
    bare = words.bare_ordinals(ordered, locale)
    if bare is not None:
        return f"{bare} {noun}" if locale == "fr" else f"the {bare} {noun}"
    return words.join([words.counted_ordinal(day, noun, locale) for day in ordered], locale)


def month_runs(months: tuple[int, ...]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for first, last in words.runs(sorted(months)):
        if last - first >= 2:
            found.append((first, last))
        else:
            found.extend((month, month) for month in range(first, last + 1))
    return found


def month_list(months: tuple[int, ...], locale: str) -> str:
    """'January, April and July' (English only)."""
    return words.join([words.month_name(month, locale) for month in sorted(months)], locale)


def months_of(months: tuple[int, ...], locale: str) -> str:
    """'de janvier, d'avril et de juillet'."""
    return words.join([words.of_month(month, locale) for month in sorted(months)], locale)


def month_condition(months: tuple[int, ...], locale: str, last: str = "or") -> str:
    """'en janvier ou en mars', 'de janvier à juin' / 'in January or March'."""
    fr = locale == "fr"
    parts = []
    for first, end in month_runs(months):
        a, b = words.month_name(first, locale), words.month_name(end, locale)
        if first != end:
            parts.append(f"{words.of_month(first, locale)} à {b}" if fr else f"from {a} to {b}")
        else:
            parts.append(f"en {a}" if fr else f"in {a}")
    if not fr:
        parts = [parts[0]] + [part.removeprefix("in ") for part in parts[1:]]
    return words.join(parts, locale, last)
