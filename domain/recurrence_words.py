"""Recurrence rules said in words, in French and English, exactly as the calendar expands them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY

from domain import recurrence_parts as parts
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
    if rule.never:
        return rule
    if rule.months and rule.monthdays and not _some_day_exists(rule):
        return replace(rule, never=True)
    if not rule.setpos:
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


def _some_day_exists(rule: _Rule) -> bool:
    """Whether one of the days of the month exists in one of the months (30 February does not)."""
    lengths = [parts.MONTH_LENGTHS[month - 1] for month in rule.months]
    return any(abs(day) <= length for day in rule.monthdays for length in lengths)


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
        return _in_period(rule, parts.yeardays(rule.yeardays, locale), "year", locale)
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
        days = parts.weekday_list(rule.weekdays, locale)
        text = f"{head} {days}" if rule.interval == 1 else f"{head}, {days}"
        return text + _months_suffix(rule, locale)
    if rule.freq == DAILY and rule.interval > 1:
        condition = parts.weekday_condition(rule.weekdays, locale)
        return f"{head}, {_when_day_falls(locale)} {condition}" + _months_suffix(rule, locale)
    every = parts.every_weekday(rule.weekdays, locale)
    months_said = rule.freq == YEARLY and bool(rule.months)
    if months_said:
        of = (
            parts.months_of(rule.months, locale)
            if fr
            else f"in {parts.month_list(rule.months, locale)}"
        )
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


def _monthdays_sentence(rule: _Rule, locale: str) -> str:
    if rule.months and (rule.freq == YEARLY or rule.interval == 1):
        return _dates_in_months(rule, locale)
    days = parts.monthday_list(rule.monthdays, locale, bare=True)
    note = parts.missing_day_note(rule.monthdays, range(1, 13), locale)
    text = _in_period(rule, days, "month", locale)
    if rule.freq == YEARLY:
        every = f"{days} de chaque mois" if locale == "fr" else f"on {days} of every month"
        text = every if rule.interval == 1 else f"{_head(rule, locale)}, {every}"
    return text + note + _months_suffix(rule, locale)


def _dates_in_months(rule: _Rule, locale: str) -> str:
    """'le 15 mars' / 'le dernier jour de février' for days within named months."""
    fr = locale == "fr"
    pairs = [(day, month) for month in rule.months for day in rule.monthdays]
    if all(day > 0 for day, _ in pairs) and len(pairs) <= 6:
        possible = [(day, month) for day, month in pairs if day <= parts.MONTH_LENGTHS[month - 1]]
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
        listed = parts.monthday_list(rule.monthdays, locale, bare=True)
        note = parts.missing_day_note(rule.monthdays, rule.months, locale)
        days = (
            f"{listed} {parts.months_of(rule.months, locale)}"
            if fr
            else (f"on {listed} of {parts.month_list(rule.months, locale)}")
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
        days = parts.nth_list(rule.nth, locale)
        of = (
            parts.months_of(rule.months, locale)
            if fr
            else f"of {parts.month_list(rule.months, locale)}"
        )
        if rule.freq == MONTHLY:
            bare = parts.nth_bare(rule.nth, locale)
            return f"{days} {of}" if fr or bare is None else f"every {bare} {of}"
        head = _head(rule, locale)
        days = f"{days} {of}" if fr else f"on {days} {of}"
        return f"{head} {days}" if rule.interval == 1 else f"{head}, {days}"
    period = "month" if scoped_to_month else "year"
    bare = parts.nth_bare(rule.nth, locale)
    if not fr and rule.interval == 1 and bare is not None:
        return f"every {bare} of the {period}" + _months_suffix(rule, locale)
    return _in_period(rule, parts.nth_list(rule.nth, locale), period, locale) + _months_suffix(
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
        found.append(parts.weekday_condition(rule.weekdays, locale))
    if rule.nth:
        scope = rule.freq == MONTHLY or bool(rule.months)
        of = (
            ("du mois" if scope else "de l'année")
            if fr
            else ("of the month" if scope else "of the year")
        )
        listed = words.join([parts.nth_one(day, n, locale) for day, n in rule.nth], locale, "or")
        found.append(f"{listed} {of}" if fr else f"on {listed} {of}")
    if rule.monthdays:
        listed = parts.monthday_list(rule.monthdays, locale, bare=False)
        found.append(f"{listed} du mois" if fr else f"on {listed} of the month")
    if rule.yeardays:
        listed = words.join(
            [words.counted_ordinal(d, "jour" if fr else "day", locale) for d in rule.yeardays],
            locale,
            "or",
        )
        found.append(f"{listed} de l'année" if fr else f"on {listed} of the year")
    if rule.weeknos:
        listed = words.join([parts.week(n, locale) for n in rule.weeknos], locale, "or")
        note = _week_start(rule.wkst, locale) if rule.wkst != 0 else ""
        found.append(f"dans {listed} de l'année{note}" if fr else f"in {listed} of the year{note}")
    if rule.months:
        found.append(parts.month_condition(rule.months, locale))
    return found


def _months_suffix(rule: _Rule, locale: str) -> str:
    if not rule.months:
        return ""
    return f", {parts.month_condition(rule.months, locale, 'and')}"


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
