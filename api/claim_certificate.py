"""The neutrality certificate of a closed claim, as an HTML page and a PDF, each with a QR code
pointing at the public page (R14)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.amounts import tonnes

if TYPE_CHECKING:
    from jinja2 import Environment

# The PDF, QR and template libraries (and Pillow under them) load on the first certificate, not
# with the service: they would add ~40 MiB to every process that never renders one.
TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.globals["tonnes"] = lambda kg: tonnes(int(kg or 0))
    return env


KIND_LABELS = {
    "event": "Event",
    "organisation": "Organisation",
    "fleet": "Fleet",
    "route": "Air route",
    "scene": "Low-carbon scene",
    "person": "Person",
}


def html(claim: dict[str, Any], public_url: str) -> str:
    import segno

    qr = segno.make(public_url, error="m").svg_inline(scale=4)
    return (
        _environment()
        .get_template("claim_certificate.html")
        .render(claim=claim, public_url=public_url, qr_svg=qr, kind_label=KIND_LABELS[claim["kind"]])
    )


def _latin(text: str) -> str:
    """The PDF's core font is Latin-1: other characters show as "?" (the HTML page has them all)."""
    return text.encode("latin-1", "replace").decode("latin-1")


def pdf(claim: dict[str, Any], public_url: str) -> bytes:
    import segno
    from fpdf import FPDF

    doc = FPDF(format="A4")
    doc.set_title(f"Carbon-neutrality certificate {claim['id']}")
    doc.set_creator("Tanhui registry")
    doc.add_page()
    doc.set_font("helvetica", "B", 18)
    doc.cell(0, 10, "Carbon-neutrality certificate", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("helvetica", "B", 13)
    doc.multi_cell(150, 7, _latin(f"{claim['subject']} was carbon neutral"), new_x="LMARGIN", new_y="NEXT")
    image = io.BytesIO()
    segno.make(public_url, error="m").save(image, kind="png", scale=4, border=2)
    image.seek(0)
    doc.image(image, x=165, y=12, w=32, h=32)
    doc.ln(4)
    doc.set_font("helvetica", "", 10)
    period = (
        claim["period_start"]
        if claim["period_start"] == claim["period_end"]
        else (f"{claim['period_start']} to {claim['period_end']}")
    )
    footprint = claim["footprint"]
    method = footprint["methodology"]
    rows = [
        ("Claim", claim["id"]),
        ("Subject", f"{KIND_LABELS[claim['kind']]}, {period}"),
        ("Claimant", claim["claimant"]),
        ("Footprint (verified)", f"{footprint['total_t']} t CO2e"),
        ("Methodology", f"{method['code']} v{method['version']}"),
        ("Buffer", f"{claim['buffer_pct']} %"),
        ("Required", f"{tonnes(claim['required_kg'] or 0)} t"),
        ("Retired against it", f"{claim['retired_t']} t in {len(claim['retirements'])} retirements"),
        ("Verified by", (claim["verification"] or {}).get("verifier", "")),
        ("Event id on chain", claim["chain"]["event_id"]),
        ("Closing transaction", claim["chain"]["close_tx"] or ""),
        ("Block", str(claim["chain"]["closed_block"])),
        ("Footprint hash", footprint["hash"] or ""),
    ]
    for label, value in rows:
        doc.set_font("helvetica", "B", 10)
        doc.cell(45, 6, label)
        doc.set_font("helvetica", "", 9 if len(str(value)) > 60 else 10)
        doc.multi_cell(0, 6, _latin(str(value)), new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    doc.set_font("helvetica", "B", 11)
    doc.cell(0, 8, "Retirements", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("helvetica", "", 9)
    for r in claim["retirements"]:
        amount = tonnes(r["amount_kg"])
        line = f"certificate {r['certificate_id']}: {amount} t, {r['purpose']}, {r['beneficiary']}"
        doc.multi_cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    doc.set_font("helvetica", "", 8)
    doc.multi_cell(
        0,
        4,
        _latin(
            f"Check it from the chain alone: tanhui verify-claim {claim['id']} --rpc-url URL. "
            f"Public page: {public_url}"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(doc.output())
