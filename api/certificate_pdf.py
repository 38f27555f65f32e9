"""The one-page PDF of a certificate (a retirement's, a neutrality claim's): a heading, a QR code
of its public page, a table of label and value, optional sections of lines, and a footer that
says how to check it from the chain alone. fpdf2 and segno load on the first PDF, not with the
service (see api/claim_certificate.py)."""

from __future__ import annotations

import io
from collections.abc import Sequence


def latin(text: str) -> str:
    """The PDF's core font is Latin-1: other characters show as "?" (the HTML page has them all)."""
    return text.encode("latin-1", "replace").decode("latin-1")


def certificate_pdf(
    *,
    title: str,
    heading: str,
    subtitle: str,
    url: str,
    rows: Sequence[tuple[str, str]],
    footer: str,
    label_width: float = 40,
    sections: Sequence[tuple[str, Sequence[str]]] = (),
) -> bytes:
    import segno
    from fpdf import FPDF

    doc = FPDF(format="A4")
    doc.set_title(title)
    doc.set_creator("Tanhui registry")
    doc.add_page()
    doc.set_font("helvetica", "B", 18)
    doc.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
    doc.set_font("helvetica", "B", 13)
    doc.multi_cell(150, 7, latin(subtitle), new_x="LMARGIN", new_y="NEXT")
    image = io.BytesIO()
    segno.make(url, error="m").save(image, kind="png", scale=4, border=2)
    image.seek(0)
    doc.image(image, x=165, y=12, w=32, h=32)
    doc.ln(4)
    for label, value in rows:
        doc.set_font("helvetica", "B", 10)
        doc.cell(label_width, 6, label)
        doc.set_font("helvetica", "", 9 if len(value) > 60 else 10)
        doc.multi_cell(0, 6, latin(value), new_x="LMARGIN", new_y="NEXT")
    for section, lines in sections:
        doc.ln(3)
        doc.set_font("helvetica", "B", 11)
        doc.cell(0, 8, section, new_x="LMARGIN", new_y="NEXT")
        doc.set_font("helvetica", "", 9)
        for line in lines:
            doc.multi_cell(0, 5, latin(line), new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    doc.set_font("helvetica", "", 8)
    doc.multi_cell(0, 4, latin(footer), new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())
