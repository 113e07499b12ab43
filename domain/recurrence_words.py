"""Recurrence rules said in words, in French and English, exactly as the calendar expands them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY

from domain import recurrence_vocabulary as words
from domain.calendar import parse_recurrence
from domain.validation import NON_STANDARD_PARTS, SUB_DAILY, TIME_PARTS

_HEADS = {
    "fr": {
        YEARLY: ("chaque année", "tous les {n} ans"),
        MONTHLY: ("chaque mois", "tous les {n} mois"),
        WEEKLY: ("chaque semaine", "toutes les {n} semaines"),
        DAILY: ("chaque jour", "tous les {n} jours"),
    },
    "en": {
        YEARLY: ("every year", "every {n} years"),
        MONTHLY: ("every month", "every {n} months"),
        WEEKLY: ("every week", "every {n} weeks"),
        DAILY: ("every day", "every {n} days"),
    },
}
_NEVER = {
    "fr": "jamais\u00a0: aucun jour ne répond à cette règle",
    "en": "never: no day matches this rule",
}
_MONTH_LENGTHS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class _Rule:
    """A rule's parts as dateutil reads them, with the day the rule leaves implicit filled in."""

    freq: int
    interval: int
    wkst: int
    count: int | None
    until: datetime | None
    months: tuple[int, ...]
    weeknos: tuple[int, ...]
    yeardays: tuple[int, ...]
    monthdays: tuple[int, ...]
    weekdays: tuple[int, ...]
    nth: tuple[tuple[int, int], ...]
    setpos: tuple[int, ...]
    never: bool = False

    def kinds(self) -> frozenset[str]:
        names = ("months", "weeknos", "yeardays", "monthdays", "weekdays", "nth")
        return frozenset(name for name in names if getattr(self, name))


def describe_recurrence(rrule: str, start: datetime | date, locale: str) -> str:
    """Say `rrule` from `start` in words ('le premier lundi de chaque mois'); ValueError if bad."""
    return _describe(rrule, start, words.locale_of(locale), with_time=False)


def describe_recurrence_at(rrule: str, start: datetime | date, locale: str) -> str:
    """Say `rrule` with the time of day of `start`: 'le premier lundi de chaque mois à 9 h 30'."""
    return _describe(rrule, start, words.locale_of(locale), with_time=True)


def time_of_day(start: datetime | date, locale: str) -> str | None:
    """'à 9 h 30' / 'at 9:30 AM' for a start with a time, None for a date."""
    if not isinstance(start, datetime):
        return None
    lang = words.locale_of(locale)
    return f"{'à' if lang == 'fr' else 'at'} {words.clock_time(start.time(), lang)}"


def _describe(rule_text: str, start: datetime | date, locale: str, with_time: bool) -> str:
    moment = start if isinstance(start, datetime) else datetime.combine(start, time(0, 0))
    rule = _simplified(_read(rule_text, moment))
    if rule.never:
        return _NEVER[locale]
    text = _natural(rule, locale) or _generic(rule, locale)
    if with_time and isinstance(start, datetime):
        text += f" {time_of_day(start, locale)}"
    return text + _ending(rule, moment.replace(tzinfo=None).time(), locale)


def _read(rule_text: str, start: datetime) -> _Rule:
    for part in rule_text.strip().removeprefix("RRULE:").split(";"):
        key, _, value = part.partition("=")
        key, value = key.strip().upper(), value.strip().upper()
        if (key == "FREQ" and value in SUB_DAILY) or key in TIME_PARTS + NON_STANDARD_PARTS:
            raise ValueError(f"the plan format does not allow {key}={value}")
    zone = start.tzinfo if isinstance(start.tzinfo, ZoneInfo) else None
    fields = vars(parse_recurrence(rule_text, start.replace(tzinfo=None), zone))
    plain = tuple(fields["_byweekday"] or ())
    nth = tuple(fields["_bynweekday"] or ())
    never = False
    if plain and nth:  # dateutil keeps a day only when it is in both lists
        nth = tuple((day, n) for day, n in nth if day in plain)
        plain, never = (), not nth
    return _Rule(
        freq=fields["_freq"],
        interval=fields["_interval"],
        wkst=fields["_wkst"],
        count=fields["_count"],
        until=fields["_until"],
        months=tuple(fields["_bymonth"] or ()),
        weeknos=tuple(fields["_byweekno"] or ()),
        yeardays=tuple(fields["_byyearday"] or ()),
        monthdays=tuple(fields["_bymonthday"] or ()) + tuple(fields["_bynmonthday"] or ()),
        weekdays=plain,
        nth=nth,
        setpos=tuple(fields["_bysetpos"] or ()),
        never=never,
    )


def _simplified(rule: _Rule) -> _Rule:
    """The same rule without a BYSETPOS that picks days one can name."""
    if not rule.setpos or rule.never:
        return rule
    if rule.freq == DAILY:  # one time a day: only the first (or last) of one exists
        keeps = 1 in rule.setpos or -1 in rule.setpos
        return replace(rule, setpos=(), never=not keeps)
    if rule.freq == WEEKLY and rule.kinds() == {"weekdays"}:
        ordered = sorted(rule.weekdays, key=lambda day: (day - rule.wkst) % 7)
        size = len(ordered)
        chosen = {ordered[p - 1 if p > 0 else p] for p in rule.setpos if -size <= p <= size}
        return replace(rule, weekdays=tuple(sorted(chosen)), setpos=(), never=not chosen)
    return rule


def _head(rule: _Rule, locale: str) -> str:
    once, many = _HEADS[locale][rule.freq]
    text = once if rule.interval == 1 else many.format(n=words.number(rule.interval, locale))
    if rule.freq == WEEKLY and rule.interval > 1 and rule.wkst != 0:
        text += _week_start(rule.wkst, locale)
    return text


def _week_start(wkst: int, locale: str) -> str:
    name = words.weekday_name(wkst, locale)
    return f" (semaines commençant le {name})" if locale == "fr" else f" (weeks starting on {name})"


def _natural(rule: _Rule, locale: str) -> str | None:
    """The sentence people would write, for the shapes rules usually have; None for the rest."""
    if rule.setpos:
        return None
    kinds = rule.kinds() - {"months"}
    if rule.freq == DAILY and not rule.months and not kinds:
        return _head(rule, locale)
    if rule.freq in (DAILY, WEEKLY, MONTHLY) and kinds == {"weekdays"}:
        return _weekdays_sentence(rule, locale)
    if rule.freq == YEARLY and kinds == {"weekdays"}:
        return _weekdays_sentence(rule, locale)
    if rule.freq in (MONTHLY, YEARLY) and kinds == {"monthdays"}:
        return _monthdays_sentence(rule, locale)
    if rule.freq in (MONTHLY, YEARLY) and kinds == {"nth"}:
        return _nth_sentence(rule, locale)
    if rule.freq == YEARLY and kinds == {"yeardays"} and not rule.months:
        return _in_period(rule, _yeardays(rule.yeardays, locale), "year", locale)
    return None


def _in_period(rule: _Rule, days: str, period: str, locale: str) -> str:
    """'le 4 de chaque mois' / 'tous les deux mois, le 4 du mois' / 'on the 4th of every month'."""
    if locale == "fr":
        of = {"month": ("de chaque mois", "du mois"), "year": ("de chaque année", "de l'année")}
        if rule.interval == 1:
            return f"{days} {of[period][0]}"
        return f"{_head(rule, locale)}, {days} {of[period][1]}"
    if rule.interval == 1:
        return f"on {days} of every {period}"
    return f"{_head(rule, locale)}, on {days} of the {period}"


def _weekdays_sentence(rule: _Rule, locale: str) -> str:
    fr = locale == "fr"
    head = _head(rule, locale)
    if rule.freq == WEEKLY:
        days = _weekday_list(rule.weekdays, locale)
        text = f"{head} {days}" if rule.interval == 1 else f"{head}, {days}"
        return text + _months_suffix(rule, locale)
    if rule.freq == DAILY and rule.interval > 1:
        condition = _weekday_condition(rule.weekdays, locale)
        return f"{head}, {_when_day_falls(locale)} {condition}" + _months_suffix(rule, locale)
    every = _every_weekday(rule.weekdays, locale)
    months_said = rule.freq == YEARLY and bool(rule.months)
    if months_said:
        of = _months_of(rule.months, locale) if fr else f"in {_month_list(rule.months, locale)}"
        every = f"{every} {of}"
    elif rule.interval > 1:
        period = "month" if rule.freq == MONTHLY else "year"
        every += _of_period(period, locale)
    text = every if rule.interval == 1 else f"{head}, {every}"
    return text if months_said else text + _months_suffix(rule, locale)


def _of_period(period: str, locale: str) -> str:
    if locale == "fr":
        return " du mois" if period == "month" else " de l'année"
    return f" of the {period}"


def _monthdays_sentence(rule: _Rule, locale: str) -> str | None:
    if rule.months and (rule.freq == YEARLY or rule.interval == 1):
        return _dates_in_months(rule, locale)
    days = _monthday_list(rule.monthdays, locale, bare=True)
    note = _missing_day_note(rule.monthdays, range(1, 13), locale)
    text = _in_period(rule, days, "month", locale)
    if rule.freq == YEARLY:
        every = f"{days} de chaque mois" if locale == "fr" else f"on {days} of every month"
        text = every if rule.interval == 1 else f"{_head(rule, locale)}, {every}"
    return text + note + _months_suffix(rule, locale)


def _dates_in_months(rule: _Rule, locale: str) -> str | None:
    """'le 15 mars' / 'le dernier jour de février' for days within named months."""
    fr = locale == "fr"
    pairs = [(day, month) for month in rule.months for day in rule.monthdays]
    if all(day > 0 for day, _ in pairs) and len(pairs) <= 6:
        possible = [(day, month) for day, month in pairs if day <= _MONTH_LENGTHS[month - 1]]
        if not possible:
            return _NEVER[locale]
        listed = words.join(
            [("le " if fr else "") + words.day_and_month(d, m, locale) for d, m in possible], locale
        )
        leap = any(pair == (29, 2) for pair in possible)
        days = listed + (
            (" (les années bissextiles)" if fr else " (in leap years)") if leap else ""
        )
        if not fr:
            days = "on " + days
    else:
        listed = _monthday_list(rule.monthdays, locale, bare=True)
        note = _missing_day_note(rule.monthdays, rule.months, locale)
        days = (
            f"{listed} {_months_of(rule.months, locale)}"
            if fr
            else (f"on {listed} of {_month_list(rule.months, locale)}")
        )
        days += note
    if rule.freq == MONTHLY:
        return days
    head = _head(rule, locale)
    return f"{head} {days}" if rule.interval == 1 else f"{head}, {days}"


def _nth_sentence(rule: _Rule, locale: str) -> str:
    fr = locale == "fr"
    scoped_to_month = rule.freq == MONTHLY or bool(rule.months)
    if rule.months and (rule.freq == YEARLY or rule.interval == 1):
        days = _nth_list(rule.nth, locale)
        of = _months_of(rule.months, locale) if fr else f"of {_month_list(rule.months, locale)}"
        if rule.freq == MONTHLY:
            bare = _nth_bare(rule.nth, locale)
            return f"{days} {of}" if fr or bare is None else f"every {bare} {of}"
        head = _head(rule, locale)
        days = f"{days} {of}" if fr else f"on {days} {of}"
        return f"{head} {days}" if rule.interval == 1 else f"{head}, {days}"
    period = "month" if scoped_to_month else "year"
    bare = _nth_bare(rule.nth, locale)
    if not fr and rule.interval == 1 and bare is not None:
        return f"every {bare} of the {period}" + _months_suffix(rule, locale)
    return _in_period(rule, _nth_list(rule.nth, locale), period, locale) + _months_suffix(
        rule, locale
    )


def _generic(rule: _Rule, locale: str) -> str:
    """Every condition a day must meet, said one after the other: long, but exact."""
    fr = locale == "fr"
    conditions = words.join(_conditions(rule, locale), locale)
    head = _head(rule, locale)
    if rule.freq == DAILY:
        if rule.interval == 1:
            return f"{'chaque jour qui tombe' if fr else 'every day that falls'} {conditions}"
        return f"{head}, {_when_day_falls(locale)} {conditions}"
    if not rule.setpos:
        return f"{head}, {'les jours qui tombent' if fr else 'on the days that fall'} {conditions}"
    positions = words.bare_ordinals(list(rule.setpos), locale)
    if not fr:
        return f"{head}, the {positions} of the days that fall {conditions}"
    if positions is not None:
        return f"{head}, {positions} des jours qui tombent {conditions}"
    picked = words.join([words.position(p, locale) for p in rule.setpos], locale)
    return f"{head}, parmi les jours qui tombent {conditions}, {picked}"


def _when_day_falls(locale: str) -> str:
    return "quand le jour tombe" if locale == "fr" else "when the day falls"


def _conditions(rule: _Rule, locale: str) -> list[str]:
    fr = locale == "fr"
    found = []
    if rule.weekdays:
        found.append(_weekday_condition(rule.weekdays, locale))
    if rule.nth:
        scope = rule.freq == MONTHLY or bool(rule.months)
        of = (
            ("du mois" if scope else "de l'année")
            if fr
            else ("of the month" if scope else "of the year")
        )
        listed = words.join([_nth_one(day, n, locale) for day, n in rule.nth], locale, "or")
        found.append(f"{listed} {of}" if fr else f"on {listed} {of}")
    if rule.monthdays:
        listed = _monthday_list(rule.monthdays, locale, bare=False)
        found.append(f"{listed} du mois" if fr else f"on {listed} of the month")
    if rule.yeardays:
        listed = words.join(
            [words.counted_ordinal(d, "jour" if fr else "day", locale) for d in rule.yeardays],
            locale,
            "or",
        )
        found.append(f"{listed} de l'année" if fr else f"on {listed} of the year")
    if rule.weeknos:
        listed = words.join([_week(n, locale) for n in rule.weeknos], locale, "or")
        note = _week_start(rule.wkst, locale) if rule.wkst != 0 else ""
        found.append(f"dans {listed} de l'année{note}" if fr else f"in {listed} of the year{note}")
    if rule.months:
        found.append(_month_condition(rule.months, locale))
    return found


def _week(n: int, locale: str) -> str:
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


def _weekday_runs(days: tuple[int, ...]) -> list[tuple[int, int]]:
    """Runs of three days or more read 'du lundi au vendredi'; shorter ones are listed."""
    found: list[tuple[int, int]] = []
    for first, last in words.runs(sorted(days)):
        if last - first >= 2:
            found.append((first, last))
        else:
            found.extend((day, day) for day in range(first, last + 1))
    return found


def _weekday_list(days: tuple[int, ...], locale: str) -> str:
    """'le mardi et le jeudi', 'du lundi au vendredi' / 'on Tuesday and Thursday'."""
    fr = locale == "fr"
    parts = []
    for first, last in _weekday_runs(days):
        a, b = words.weekday_name(first, locale), words.weekday_name(last, locale)
        if first != last:
            parts.append(f"du {a} au {b}" if fr else f"from {a} to {b}")
        else:
            parts.append(f"le {a}" if fr else f"on {a}")
    if not fr:  # 'on Tuesday and on Thursday' reads heavy: one 'on' for the listed days
        parts = [parts[0]] + [part.removeprefix("on ") for part in parts[1:]]
    return words.join(parts, locale)


def _every_weekday(days: tuple[int, ...], locale: str) -> str:
    """'chaque lundi et jeudi', 'chaque jour du lundi au vendredi' / 'every Monday and Thursday'."""
    fr = locale == "fr"
    runs = _weekday_runs(days)
    if len(runs) == 1 and runs[0][0] != runs[0][1]:
        a, b = (words.weekday_name(day, locale) for day in runs[0])
        return f"chaque jour du {a} au {b}" if fr else f"every day from {a} to {b}"
    names = [words.weekday_name(day, locale) for day in sorted(days)]
    return f"{'chaque' if fr else 'every'} {words.join(names, locale)}"


def _weekday_condition(days: tuple[int, ...], locale: str) -> str:
    """'un lundi ou un jeudi', 'du lundi au vendredi' / 'on a Monday or a Thursday'."""
    fr = locale == "fr"
    parts = []
    for first, last in _weekday_runs(days):
        a, b = words.weekday_name(first, locale), words.weekday_name(last, locale)
        if first != last:
            parts.append(f"du {a} au {b}" if fr else f"between {a} and {b}")
        else:
            parts.append(f"un {a}" if fr else f"on a {a}")
    return words.join(parts, locale, "or")


def _nth_one(day: int, n: int, locale: str) -> str:
    return words.counted_ordinal(n, words.weekday_name(day, locale), locale)


def _nth_bare(nth: tuple[tuple[int, int], ...], locale: str) -> str | None:
    """'first and third Monday' for 'every … of the month', when the ordinals read before a noun."""
    groups: dict[int, list[int]] = {}
    for day, n in sorted(nth, key=lambda pair: (pair[0], _position_order(pair[1]))):
        groups.setdefault(day, []).append(n)
    parts = []
    for day, positions in groups.items():
        said = words.bare_ordinals(positions, locale)
        if said is None:
            return None
        parts.append(f"{said} {words.weekday_name(day, locale)}")
    return words.join(parts, locale)


def _nth_list(nth: tuple[tuple[int, int], ...], locale: str) -> str:
    """'le premier et le troisième lundi' / 'the first and third Monday'."""
    bare = _nth_bare(nth, locale)
    if bare is not None:
        return bare if locale == "fr" else f"the {bare}"
    ordered = sorted(nth, key=lambda pair: (pair[0], _position_order(pair[1])))
    return words.join([_nth_one(day, n, locale) for day, n in ordered], locale)


def _position_order(position: int) -> int:
    """First to last within a month: 1, 2, …, then −2, −1."""
    return position if position > 0 else 100 + position


def _monthday_list(days: tuple[int, ...], locale: str, bare: bool) -> str:
    """'le 1er, le 15 et le dernier jour' / 'the 1st, the 15th and the last day'."""
    fr = locale == "fr"
    ordered = sorted(days, key=_position_order)
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


def _missing_day_note(days: tuple[int, ...], months: range | tuple[int, ...], locale: str) -> str:
    """A day some of the months lack (31, or 29 in February) is skipped in those months."""
    shortest = min(28 if month == 2 else _MONTH_LENGTHS[month - 1] for month in months)
    if all(abs(day) <= shortest for day in days):
        return ""
    return " (les mois qui en ont un)" if locale == "fr" else " (in the months that have one)"


def _yeardays(days: tuple[int, ...], locale: str) -> str:
    noun = "jour" if locale == "fr" else "day"
    ordered = sorted(days, key=lambda day: day if day > 0 else 1000 + day)
    bare = words.bare_ordinals(ordered, locale)
    if bare is not None:
        return f"{bare} {noun}" if locale == "fr" else f"the {bare} {noun}"
    return words.join([words.counted_ordinal(day, noun, locale) for day in ordered], locale)


def _month_runs(months: tuple[int, ...]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for first, last in words.runs(sorted(months)):
        if last - first >= 2:
            found.append((first, last))
        else:
            found.extend((month, month) for month in range(first, last + 1))
    return found


def _month_list(months: tuple[int, ...], locale: str) -> str:
    """'January, April and July' (English only)."""
    return words.join([words.month_name(month, locale) for month in sorted(months)], locale)


def _months_of(months: tuple[int, ...], locale: str) -> str:
    """'de janvier, d'avril et de juillet'."""
    return words.join([words.of_month(month, locale) for month in sorted(months)], locale)


def _month_condition(months: tuple[int, ...], locale: str, last: str = "or") -> str:
    """'en janvier ou en mars', 'de janvier à juin' / 'in January or March'."""
    fr = locale == "fr"
    parts = []
    for first, end in _month_runs(months):
        a, b = words.month_name(first, locale), words.month_name(end, locale)
        if first != end:
            parts.append(f"{words.of_month(first, locale)} à {b}" if fr else f"from {a} to {b}")
        else:
            parts.append(f"en {a}" if fr else f"in {a}")
    if not fr:
        parts = [parts[0]] + [part.removeprefix("in ") for part in parts[1:]]
    return words.join(parts, locale, last)


def _months_suffix(rule: _Rule, locale: str) -> str:
    if not rule.months:
        return ""
    return f", {_month_condition(rule.months, locale, 'and')}"


def _ending(rule: _Rule, at: time, locale: str) -> str:
    """', trois fois au total', ", jusqu'au 30 juin 2027" / ', three times in all', ', until …'."""
    fr = locale == "fr"
    text = ""
    if rule.count is not None:
        both = rule.until is not None
        if rule.count == 1:
            text += ", une seule fois" if fr else ", once only"
        elif fr:
            text += f", {words.number(rule.count, locale)} fois {'au plus' if both else 'au total'}"
        elif rule.count == 2:
            text += ", at most twice" if both else ", twice in all"
        else:
            times = f"{words.number(rule.count, locale)} times"
            text += f", at most {times}" if both else f", {times} in all"
    if rule.until is not None:
        last = (
            rule.until.date() if rule.until.time() >= at else rule.until.date() - timedelta(days=1)
        )
        said = words.full_date(last, locale)
        text += f", jusqu'au {said}" if fr else f", until {said}"
    return text
