"""The neutrality certificate of a closed claim, as an HTML page and a PDF, each with a QR code
pointing at the public page (R14)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.certificate_pdf import certificate_pdf
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


def pdf(claim: dict[str, Any], public_url: str) -> bytes:
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
    retirements = [
        f"certificate {r['certificate_id']}: {tonnes(r['amount_kg'])} t, {r['purpose']}, {r['beneficiary']}"
        for r in claim["retirements"]
    ]
    return certificate_pdf(
        title=f"Carbon-neutrality certificate {claim['id']}",
        heading="Carbon-neutrality certificate",
        subtitle=f"{claim['subject']} was carbon neutral",
        url=public_url,
        rows=[(label, str(value)) for label, value in rows],
        label_width=45,
        sections=[("Retirements", retirements)],
        footer=f"Check it from the chain alone: tanhui verify-claim {claim['id']} --rpc-url URL. "
        f"Public page: {public_url}",
    )
