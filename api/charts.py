"""Small SVG charts drawn on the server: no script, readable when printed, described in text."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from domain.report import MonthTasks

COLOURS = {
    "on_track": "#1b7f3b",
    "at_risk": "#b36b00",
    "off_track": "#b3261e",
    "no_data": "#8a8a8a",
    "on_time": "#1b7f3b",
    "late": "#e0a100",
    "missed": "#b3261e",
    "open": "#c9d6e3",
    "target": "#1d1d1b",
}
MONTHS_FR = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    target: float | None
    status: str
    unit: str


def indicator_bars(title: str, bars: list[Bar]) -> str:
    """Horizontal bars, one per indicator, with the target as a black tick."""
    width, left, row = 640, 230, 28
    height = 30 + row * len(bars)
    scale_max = max([b.value or 0 for b in bars] + [b.target or 0 for b in bars] + [1.0]) * 1.1
    plot = width - left - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for number, bar in enumerate(bars):
        y = 20 + number * row
        scale_max = max(bar.value or 0.0, bar.target or 0.0, 1e-9) * 1.15
        label = bar.label if len(bar.label) <= 34 else bar.label[:33] + "…"
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" font-size="12">'
            f"{escape(label)}</text>"
        )
        if bar.value is not None:
            length = plot * bar.value / scale_max
            parts.append(
                f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="16" '
                f'fill="{COLOURS.get(bar.status, "#555")}"><title>{escape(bar.label)} : '
                f"{_format(bar.value, bar.unit)}</title></rect>"
            )
            parts.append(
                f'<text x="{left + length + 6:.1f}" y="{y + 15}" font-size="11">'
                f"{_format(bar.value, bar.unit)}</text>"
            )
        else:
            parts.append(
                f'<text x="{left + 4}" y="{y + 15}" font-size="11" fill="#555">sans valeur</text>'
            )
        if bar.target is not None:
            x = left + plot * bar.target / scale_max
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + 22}" '
                f'stroke="{COLOURS["target"]}" stroke-width="2"><title>cible '
                f"{_format(bar.target, bar.unit)}</title></line>"
            )
    parts.append("</svg>")
    return "".join(parts)


def completion_bars(title: str, months: list[MonthTasks]) -> str:
    """Stacked columns per month: done on time, late, missed, still to come."""
    width, height, bottom, left = 640, 200, 170, 30
    column = (width - left - 10) / 12
    tallest = max([m.due for m in months] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" x2="{width - 10}" y1="{bottom}" y2="{bottom}" stroke="#999"/>',
    ]
    for month in months:
        x = left + (month.month - 1) * column + 4
        y = float(bottom)
        for key, count in (
            ("on_time", month.done_on_time),
            ("late", month.done_late),
            ("missed", month.missed),
            ("open", month.open),
        ):
            if not count:
                continue
            tall = (bottom - 20) * count / tallest
            y -= tall
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{column - 8:.1f}" height="{tall:.1f}" '
                f'fill="{COLOURS[key]}"><title>{MONTHS_FR[month.month - 1]} : {count} '
                f"{LEGEND[key]}</title></rect>"
            )
        parts.append(
            f'<text x="{x + (column - 8) / 2:.1f}" y="{bottom + 16}" font-size="10" '
            f'text-anchor="middle">{MONTHS_FR[month.month - 1]}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


LEGEND = {
    "on_time": "faites à temps",
    "late": "faites en retard",
    "missed": "en retard, non faites",
    "open": "à venir",
}


def figure(value: float | None, unit: str) -> str:
    """A figure as French readers write it: 12 000 €, 21,5 %, — when there is none."""
    if value is None:
        return "—"
    return _format(value, unit)


def _format(value: float, unit: str) -> str:
    text = f"{value:,.1f}".replace(",", "\u202f").replace(".", ",").removesuffix(",0")
    return text + {"percent": "\u00a0%", "euros": "\u00a0€", "hours": "\u00a0h"}.get(unit, "")


def week_columns(title: str, weeks: list[tuple[int, int]], weeks_in_year: int = 52) -> str:
    """One thin column per ISO week (week number, count), the tallest labelled with its count."""
    width, height, bottom, left = 640, 170, 140, 30
    column = (width - left - 10) / max(weeks_in_year, 1)
    tallest = max([count for _, count in weeks] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" x2="{width - 10}" y1="{bottom}" y2="{bottom}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{bottom - (bottom - 20) + 4}" font-size="10" '
        f'text-anchor="end">{tallest}</text>',
    ]
    for week, count in weeks:
        if not count:
            continue
        tall = (bottom - 20) * count / tallest
        x = left + (week - 1) * column
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{bottom - tall:.1f}" width="{max(column - 2, 1):.1f}" '
            f'height="{tall:.1f}" fill="{COLOURS["on_time"]}">'
            f"<title>{week} : {count}</title></rect>"
        )
    for week in (1, 14, 27, 40, weeks_in_year):
        x = left + (week - 0.5) * column
        parts.append(
            f'<text x="{x:.1f}" y="{bottom + 16}" font-size="10" text-anchor="middle">{week}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
