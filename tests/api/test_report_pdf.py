"""The annual report as a PDF to publish and as a CSV, from a store with known figures.

No PDF library is installed, so `pdf_pages` reads what WeasyPrint writes the way a reader
does: objects (object streams included), each page's content stream, its fonts' ToUnicode
maps, and the text its TJ operators show.
"""

from __future__ import annotations

import csv
import io
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from api.main import create_app
from api.report_pdf import report_pdf
from domain.model import Role
from domain.report import ActionReport, report_csv
from services.settings import Settings
from store.report import gather_report
from tests.api.test_api import client
from tests.api.test_report import with_figures

A4 = (595.28, 841.89)  # points
OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
REFERENCE = rb"(\d+) 0 R"


def _objects(data: bytes) -> dict[int, bytes]:
    """Every object's body by number, streams decompressed, object streams unpacked."""
    found: dict[int, bytes] = {}
    for match in OBJECT.finditer(data):
        number, body = int(match[1]), match[2]
        head, marker, rest = body.partition(b"stream")
        if marker:
            raw = rest.lstrip(b"\r\n").rsplit(b"endstream", 1)[0]
            if b"/FlateDecode" in head:
                raw = zlib.decompressobj().decompress(raw)
            found[number] = head + b"stream" + raw
            if b"/Type /ObjStm" in head:
                first = int(re.search(rb"/First (\d+)", head)[1])  # type: ignore[index]
                pairs = raw[:first].split()
                numbers = [int(n) for n in pairs[0::2]]
                offsets = [int(o) for o in pairs[1::2]] + [len(raw) - first]
                for index, inner in enumerate(numbers):
                    found[inner] = raw[first + offsets[index] : first + offsets[index + 1]]
        else:
            found[number] = body
    return found


def _stream(body: bytes) -> bytes:
    return body.partition(b"stream")[2]


def _unicode_map(cmap: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in re.findall(
            rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            first = int.from_bytes(bytes.fromhex(start.decode()), "big")
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


@dataclass(frozen=True)
class PdfPage:
    box: list[float]  # the MediaBox, in points
    lines: list[str]  # the text of each TJ operator, in the order drawn


def pdf_pages(data: bytes) -> list[PdfPage]:
    """Each page in order: its MediaBox and the lines of text it shows."""
    objects = _objects(data)
    root = re.search(rb"/Root " + REFERENCE, data)
    assert root, "no document catalogue"
    pages_ref = re.search(rb"/Pages " + REFERENCE, objects[int(root[1])])
    assert pages_ref, "no page tree"

    def leaves(number: int) -> list[int]:
        body = objects[number]
        if b"/Type /Pages" not in body:
            return [number]
        kids = re.search(rb"/Kids\s*\[(.*?)\]", body, re.S)
        assert kids
        return [leaf for kid in re.findall(REFERENCE, kids[1]) for leaf in leaves(int(kid))]

    def dictionary(body: bytes, key: bytes) -> bytes:
        """An inline or referenced dictionary's body."""
        referenced = re.search(rb"/" + key + rb"\s+" + REFERENCE, body)
        if referenced:
            return objects[int(referenced[1])]
        inline = re.search(rb"/" + key + rb"\s*<<(.*?)>>", body, re.S)
        return inline[1] if inline else b""

    pages = []
    for number in leaves(int(pages_ref[1])):
        page = objects[number]
        box = re.search(rb"/MediaBox\s*\[([^\]]*)\]", page)
        assert box
        fonts = {
            name.decode(): _unicode_map(
                _stream(objects[int(re.search(rb"/ToUnicode " + REFERENCE, objects[int(ref)])[1])])  # type: ignore[index]
            )
            for name, ref in re.findall(
                rb"/(\w+)\s+" + REFERENCE, dictionary(dictionary(page, b"Resources"), b"Font")
            )
        }
        contents = re.search(rb"/Contents\s+" + REFERENCE, page)
        assert contents
        lines, font = [], {}
        for token in re.finditer(
            rb"/(\w+)\s+[\d.]+\s+Tf|\[(.*?)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj",
            _stream(objects[int(contents[1])]),
            re.S,
        ):
            if token[1]:
                font = fonts.get(token[1].decode(), {})
                continue
            shown = b"".join(re.findall(rb"<([0-9a-fA-F]*)>", token[2] or b"")) or token[3]
            glyphs = bytes.fromhex(shown.decode())
            lines.append(
                "".join(
                    font.get(int.from_bytes(glyphs[i : i + 2], "big"), "\ufffd")
                    for i in range(0, len(glyphs), 2)
                )
            )
        pages.append(PdfPage([float(v) for v in box[1].split()], lines))
    return pages


def texts_of(page: PdfPage) -> str:
    return "\n".join(page.lines)


async def test_the_pdf_report_is_an_a4_document_whose_text_names_the_organisation(
    tmp_path: Path,
) -> None:
    sessions, tokens = with_figures(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app):
        async with client(app, tokens[Role.officer]) as officer:
            answer = await officer.get("/dashboard/report/2027/pdf")
            from_api = await officer.get("/reports/2027", params={"format": "pdf"})
            csv_file = await officer.get("/dashboard/report/2027/csv")
        async with client(app, tokens[Role.buyer]) as buyer:
            assert (await buyer.get("/dashboard/report/2027/pdf")).status_code == 403
    assert answer.status_code == 200 and from_api.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="bilan-spaser-2027.pdf"'
    assert csv_file.headers["content-disposition"] == 'attachment; filename="bilan-spaser-2027.csv"'
    data = answer.content
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    pages = pdf_pages(data)
    # The law's part after the title, restauration next, voirie from a page of its own.
    assert len(pages) >= 2
    assert "voirie" not in texts_of(pages[0]) and "voirie" in texts_of(pages[-1])
    for page in pages:
        width, height = page.box[2], page.box[3]
        assert (round(width, 2), round(height, 2)) == A4
    texts = ["\n".join(page.lines) for page in pages]
    assert "Bilan annuel du SPASER 2027" in texts[0]
    assert "Département Test" in texts[0]
    assert all(f"Page {n} sur {len(pages)}" in text for n, text in enumerate(texts, start=1))
    assert "Département Test · Bilan annuel du SPASER" not in texts[0]  # the title says it
    assert all("Département Test · Bilan annuel du SPASER 2027" in text for text in texts[1:])
    # The law's part first (objectives by pillar, DECP figures), then each portfolio.
    assert "Ce que la loi demande de publier" in texts[0] and "Développer le bio" in texts[0]
    assert "Part bio" in texts[1]
    assert "Former les cuisiniers plus tôt" in "\n".join(texts)
    assert "\ufffd" not in "".join(texts)  # every glyph maps back to a character


def test_a_long_table_repeats_its_header_on_each_page_and_loses_no_row(tmp_path: Path) -> None:
    sessions, _ = with_figures(tmp_path)
    with sessions() as session:
        report = gather_report(session, 2027, datetime(2027, 12, 20, tzinfo=UTC))
    long = [
        ActionReport(
            title=f"Action {n:02d}", due=datetime(2027, 3, 1, 16, tzinfo=UTC), status="done"
        )
        for n in range(80)
    ]
    report.portfolios[0].actions = long
    pages = pdf_pages(report_pdf(report, ZoneInfo("Europe/Paris")))
    holding = [n for n, page in enumerate(pages) if any("Action " in line for line in page.lines)]
    assert len(holding) >= 2
    for number in holding:
        lines = pages[number].lines
        assert "Action" in lines and "Échéance" in lines  # the header on every page of the table
    shown = [line for n in holding for line in pages[n].lines if re.fullmatch(r"Action \d\d", line)]
    assert shown == [f"Action {n:02d}" for n in range(80)]  # each once, in order


def test_the_csv_report_of_a_small_plan_row_by_row(tmp_path: Path) -> None:
    sessions, _ = with_figures(tmp_path)
    with sessions() as session:
        report = gather_report(session, 2027, datetime(2027, 12, 20, tzinfo=UTC))
    rows = list(csv.reader(io.StringIO(report_csv(report)), delimiter=";"))
    assert rows[1][:9] == [
        "restauration",
        "part-bio",
        "Part bio",
        "percent",
        "last",
        "22,5",
        "20",
        "12",
        "",
    ]
    assert rows[1][9:11] == ["on_track", "improving"]
    rest = rows[2:]
    assert rest == [
        [],
        ["portefeuille", "tâches", "faites à temps", "en retard", "manquées", "annulées"],
        ["restauration", "5", "1", "1", "2", "1"],
        ["voirie", "1", "0", "0", "1", "0"],
        [],
        ["portefeuille", "objectif", "pilier", "indicateurs"],
        ["restauration", "Développer le bio", "", "Part bio"],
        [],
        ["portefeuille", "action", "échéance", "état", "faite le"],
        ["restauration", "Tâche", "2027-02-15", "non faite", ""],
        ["restauration", "T0", "2027-03-10", "faite à temps", "2027-03-10"],
        ["restauration", "T1", "2027-04-10", "faite en retard", "2027-04-13"],
        ["restauration", "T2", "2027-05-10", "non faite", ""],
        ["restauration", "T3", "2027-06-10", "annulée", ""],
        ["voirie", "Tâche", "2027-02-15", "non faite", ""],  # the role tests seed one due date
        [],
        ["portefeuille", "revue", "texte"],
        ["restauration", "enseignements", "Former les cuisiniers plus tôt"],
        ["restauration", "décision", "Former"],
    ]
