"""The annual report rendered: the context its page and its PDF share, and the PDF itself.

The PDF is WeasyPrint's print of report_pdf.html: A4, running headers, page numbers, each
portfolio on a page of its own, table headers repeated and rows kept whole across pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.numbers import format_decimal

from api.charts import COLOURS, LEGEND, Bar, completion_bars, figure, indicator_bars
from api.templating import PAGES
from domain.report import ACTION_STATUSES, AnnualReport
from notifications import formatting

STATUSES = {
    "on_track": "en bonne voie",
    "at_risk": "à surveiller",
    "off_track": "hors trajectoire",
    "no_data": "sans valeur",
}
PHASES = {
    "planning": "en préparation",
    "executing": "en cours",
    "evaluating": "en évaluation",
    "improving": "en amélioration",
    "closed": "clos",
}
PILLARS = {
    "environmental": "environnemental",
    "social": "social",
    "economic": "économique",
    "circular_economy": "économie circulaire",
}


MISSING_WORDS = {
    "environmental": "aucune considération environnementale",
    "social": "aucune considération sociale",
}


def euros(amount: float) -> str:
    return f"{format_decimal(amount, locale='fr_FR', decimal_quantization=False)} € HT"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{format_decimal(share, locale='fr_FR')} %"


def report_downloads(year: int) -> dict[str, str]:
    """Where the page and its links download the report in each format."""
    return {
        "html": f"/dashboard/report/{year}",
        "pdf": f"/dashboard/report/{year}/pdf",
        "csv": f"/dashboard/report/{year}/csv",
        "page": f"/dashboard/report/{year}/html",
    }


def report_context(report: AnnualReport, zone: Any) -> dict[str, Any]:
    """What report_body.html needs: the report, its charts and how to say its figures."""
    charts = {
        p.portfolio: {
            "indicators": indicator_bars(
                f"{p.name} : indicateurs et cibles",
                [
                    Bar(s.name, s.value, s.target, s.status.value, s.unit)
                    for s in p.scorecard.indicators
                ],
            ),
            "months": completion_bars(f"{p.name} : tâches par mois d'échéance", p.months),
        }
        for p in report.portfolios
    }

    def day(moment: datetime) -> str:
        return formatting.day(moment, zone, "fr")

    return {
        "report": report,
        "organisation": report.organisation,
        "totals": report.totals,
        "charts": charts,
        "number": figure,
        "statuses": STATUSES,
        "phases": PHASES,
        "pillars": PILLARS,
        "action_statuses": ACTION_STATUSES,
        "legend": LEGEND,
        "colours": COLOURS,
        "day": day,
        "downloads": report_downloads(report.year),
        "generated_text": day(report.generated_at),
        "euros": euros,
        "percent": percent,
        "missing_words": MISSING_WORDS,
    }


def report_pdf_html(report: AnnualReport, zone: Any) -> str:
    return PAGES.get_template("report_pdf.html").render(**report_context(report, zone))


def report_pdf(report: AnnualReport, zone: Any) -> bytes:
    """The report as a PDF to publish (WeasyPrint: a second or two for a département)."""
    from weasyprint import HTML  # loaded on first use: serving pages needs no Pango

    document = HTML(string=report_pdf_html(report, zone), base_url=None)
    return bytes(document.write_pdf())
