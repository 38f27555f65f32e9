"""The public explorer: server-rendered pages at ``/`` (Chinese by default, English with
``?lang=en``), readable without JavaScript. The data comes from the index through
:mod:`registry.explorer` (no chain calls on a page request); the certificate, batch and claim
pages carry ``chain_check`` facts for the visitor's browser to compare with the chain.

None of these routes is in the OpenAPI document: they answer HTML, not the API's JSON.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from api import certificate_pdf as pdfs
from api.deps import RuntimeDep
from api.explorer_i18n import COOKIE, choose, translator
from registry import explorer
from registry.amounts import tonnes
from registry.errors import NotFound
from registry.runtime import Runtime

router = APIRouter(include_in_schema=False)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: Times show in the scheme's local time (China Standard Time, UTC+8), with the zone named.
CST = timezone(timedelta(hours=8), "CST")
MAX_PAGE_ID = 2**63 - 1
LANG_COOKIE_SECONDS = 365 * 24 * 3600


# -- the template environment (compiled once) --------------------------------------------------------


def local_time(seconds: int | None) -> str:
    if not seconds:
        return ""
    return datetime.fromtimestamp(int(seconds), UTC).astimezone(CST).strftime("%Y-%m-%d %H:%M CST")


def short(value: str | None, keep: int = 10) -> str:
    """A hash or address shortened for reading (the full value stays in the link and title)."""
    if not value:
        return ""
    return value if len(value) <= keep + 6 else f"{value[:keep]}…{value[-4:]}"


def kg_t(kg: int | None) -> str:
    return tonnes(int(kg or 0))


def bar_chart(rows: Iterable[dict[str, Any]], label: str, series: list[tuple[str, str, str]]) -> Markup:
    """A grouped bar chart as inline SVG (no JavaScript): one group per row (its `label` key),
    one bar per series (key, CSS class, legend text); values in kg, shown in tonnes."""
    data = list(rows)
    if not data:
        return Markup("")
    peak = max((int(r[key]) for r in data for key, _, _ in series), default=0) or 1
    bar, gap, height, top = 14, 10, 120, 16
    group = bar * len(series) + gap
    # Room for the legend, and a width that keeps the text small when the chart is scaled up.
    width = max(group * len(data) + gap, gap + 110 * len(series), 480)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + top + 34}" role="img" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(label)}">'
    ]
    for i, row in enumerate(data):
        x0 = gap + i * group
        for j, (key, css, legend) in enumerate(series):
            value = int(row[key])
            h = round(value / peak * height)
            x = x0 + j * bar
            parts.append(
                f'<rect class="{css}" x="{x}" y="{top + height - h}" width="{bar - 2}" height="{h}">'
                f"<title>{escape(legend)} {escape(row[label])}: {tonnes(value)} t</title></rect>"
            )
        parts.append(f'<text x="{x0}" y="{top + height + 14}" class="axis">{escape(str(row[label]))}</text>')
    for j, (_, css, legend) in enumerate(series):
        parts.append(
            f'<rect class="{css}" x="{gap + j * 110}" y="{top + height + 22}" width="10" height="10"/>'
            f'<text x="{gap + j * 110 + 14}" y="{top + height + 31}" class="axis">{escape(legend)}</text>'
        )
    parts.append(f'<text x="{gap}" y="11" class="axis">{tonnes(peak)} t</text></svg>')
    return Markup("".join(parts))


@cache
def environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["t_kg"] = kg_t
    env.filters["local_time"] = local_time
    env.filters["short"] = short
    env.filters["tojson_script"] = lambda v: Markup(json.dumps(v, ensure_ascii=False).replace("<", "\\u003c"))
    env.globals["bar_chart"] = bar_chart
    return env


def language(request: Request) -> str:
    return choose(request.query_params.get("lang"), request.cookies.get(COOKIE))


#: No page is shown inside another site's frame (clickjacking of the dashboard's forms).
FRAME_HEADERS = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """`template` rendered in the request's language; ``?lang=`` sets the language cookie."""
    lang = language(request)
    t = translator(lang)
    html = (
        environment().get_template(template).render(request_path=request.url.path, lang=lang, t=t, **context)
    )
    return page_response(request, html, status_code)


def page_response(request: Request, body: str | bytes, status_code: int = 200) -> HTMLResponse:
    """A page's answer: no framing; ``?lang=`` sets the language cookie."""
    response = HTMLResponse(body, status_code=status_code, headers=FRAME_HEADERS)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(
            COOKIE, language(request), max_age=LANG_COOKIE_SECONDS, samesite="lax", httponly=True
        )
    return response


def checked_page(
    request: Request,
    runtime: Runtime,
    template: str,
    record: tuple[str, Callable[[Any], Any]],
    chain_check: Callable[[Any, str], dict[str, Any]],
    **context: Any,
) -> HTMLResponse:
    """A page that checks itself against the chain: the record (its name in the template and how
    to read it) and its `chain_check` facts read together; an unknown record is a 404 page."""
    name, read = record
    rpc_url = public_rpc_url(runtime)
    data = _read(runtime, request, lambda s: {name: read(s), "chain_check": chain_check(s, rpc_url)})
    if isinstance(data, HTMLResponse):
        return data
    return render(request, template, **context, **data)


def not_found(request: Request, message: str | None = None) -> HTMLResponse:
    return render(request, "explorer/not_found.html", 404, message=message)


_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")


def public_id_or_none(text: str) -> str | None:
    """A public id ("PRJ-…", "CL-…") as ids are written; anything else names nothing (and never
    reaches the database: a NUL byte is an error on PostgreSQL)."""
    return text if _PUBLIC_ID.fullmatch(text) else None


_DIGITS = re.compile(r"[0-9]{1,19}")


def _page_id(text: str) -> int | None:
    # ASCII digits only: "²".isdigit() is true, and int("²") raises.
    return int(text) if _DIGITS.fullmatch(text) and 0 < int(text) <= MAX_PAGE_ID else None


def _page_url(request: Request, runtime: Runtime, certificate_id: int) -> str:
    """A certificate page's address for its QR code and PDF: under TANHUI_PUBLIC_BASE_URL when
    set (behind a proxy the Host header is the proxy's business), else as the request came."""
    base = runtime.settings.public_base_url
    if base:
        return f"{base.rstrip('/')}/certificates/{certificate_id}"
    return str(request.url_for("certificate", certificate_id=str(certificate_id)))


def public_rpc_url(runtime: Runtime) -> str:
    """The node the pages offer visitors' browsers: TANHUI_PUBLIC_RPC_URL, else the registry's own
    chain URL without any credentials or query (user:password@, ?apikey=...) it may carry."""
    if runtime.settings.public_rpc_url:
        return runtime.settings.public_rpc_url
    return _without_credentials(runtime.client.rpc_url or "")


@lru_cache(maxsize=16)
def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return ""
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _read(
    runtime: Runtime, request: Request, read: Callable[[Any], dict[str, Any]]
) -> dict[str, Any] | HTMLResponse:
    """`read` over a read-only session; a missing record is the HTML 404 page."""
    try:
        with runtime.db.reading() as session:
            return read(session)
    except NotFound as err:
        return not_found(request, err.message)


# -- the pages -------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    with runtime.db.reading() as session:
        data = explorer.home(session)
    t = translator(language(request))
    data["by_type_labelled"] = [{**row, "label": t(row["project_type"])} for row in data["by_type"]]
    return render(request, "explorer/home.html", data=data)


@router.get("/methodologies", response_class=HTMLResponse)
def methodologies(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    with runtime.db.reading() as session:
        rows = explorer.methodologies(session)
    return render(request, "explorer/methodologies.html", methodologies=rows)


@router.get("/projects", response_class=HTMLResponse)
def projects(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    with runtime.db.reading() as session:
        rows = explorer.projects(session)
    return render(request, "explorer/projects.html", projects=rows)


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project(project_id: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    public_id = public_id_or_none(project_id)
    if public_id is None:
        return not_found(request)
    data = _read(runtime, request, lambda s: explorer.project(s, public_id))
    if isinstance(data, HTMLResponse):
        return data
    return render(request, "explorer/project.html", project=data)


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch(batch_id: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    number = _page_id(batch_id)
    if number is None:
        return not_found(request)
    return checked_page(
        request,
        runtime,
        "explorer/batch.html",
        ("batch", lambda s: explorer.batch(s, number)),
        lambda s, rpc_url: explorer.chain_check_batch(s, number, rpc_url),
    )


@router.get("/certificates/{certificate_id}.pdf")
def certificate_pdf(certificate_id: str, request: Request, runtime: RuntimeDep) -> Response:
    number = _page_id(certificate_id)
    if number is None:
        return not_found(request)
    data = _read(runtime, request, lambda s: explorer.certificate(s, number))
    if isinstance(data, HTMLResponse):
        return data
    return Response(
        certificate_pdf_bytes(data, _page_url(request, runtime, number)),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="tanhui-certificate-{number}.pdf"'},
    )


#: A certificate's page, once rendered, serves the same requests for a few seconds: a
#: certificate does not change (a chain that loses its block is the exception, seen within this
#: time), and a page that verifies itself is shared widely (a QR code on an event's poster).
PAGE_TTL_SECONDS = 5.0
_pages: dict[tuple[object, ...], tuple[float, bytes]] = {}
_pages_lock = threading.Lock()


def _cached(key: tuple[object, ...]) -> bytes | None:
    with _pages_lock:
        hit = _pages.get(key)
    if hit is not None and time.monotonic() - hit[0] < PAGE_TTL_SECONDS:
        return hit[1]
    return None


def _keep(key: tuple[object, ...], body: bytes) -> None:
    with _pages_lock:
        if len(_pages) >= 4096:
            _pages.clear()
        _pages[key] = (time.monotonic(), body)


@router.get("/certificates/{certificate_id}", response_class=HTMLResponse, name="certificate")
def certificate(certificate_id: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    number = _page_id(certificate_id)
    if number is None:
        return not_found(request)
    rpc_url = public_rpc_url(runtime)
    page_url = _page_url(request, runtime, number)
    printable = request.query_params.get("print") == "1"
    key = (id(runtime), number, language(request), page_url, printable, rpc_url)
    body = _cached(key)
    if body is not None:
        return page_response(request, body)
    response = checked_page(
        request,
        runtime,
        "explorer/certificate.html",
        ("certificate", lambda s: explorer.certificate(s, number)),
        lambda s, rpc: explorer.chain_check_certificate(s, number, rpc),
        qr_svg=Markup(qr_svg(page_url)),
        page_url=page_url,
        printable=printable,
    )
    if response.status_code == 200:
        _keep(key, bytes(response.body))
    return response


@router.get("/claims", response_class=HTMLResponse)
def claims(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    with runtime.db.reading() as session:
        rows = explorer.claims(session)
    return render(request, "explorer/claims.html", claims=rows)


@router.get("/claims/{claim_id}", response_class=HTMLResponse)
def claim(claim_id: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    public_id = public_id_or_none(claim_id)
    if public_id is None:
        return not_found(request)
    return checked_page(
        request,
        runtime,
        "explorer/claim.html",
        ("claim", lambda s: explorer.claim(s, public_id)),
        lambda s, rpc_url: explorer.chain_check_claim(s, public_id, rpc_url),
    )


@router.get("/market", response_class=HTMLResponse)
def market_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    with runtime.db.reading() as session:
        data = explorer.market_page(session)
    return render(request, "explorer/market.html", market=data)


@router.get("/points", response_class=HTMLResponse)
def points_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    with runtime.db.reading() as session:
        data = explorer.points_page(session)
    return render(request, "explorer/points.html", points=data)


@router.get("/accounts/{address}", response_class=HTMLResponse)
def account(address: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    data = _read(runtime, request, lambda s: explorer.account(s, address[:100]))
    if isinstance(data, HTMLResponse):
        return data
    return render(request, "explorer/account.html", account=data)


@router.get("/search", response_class=HTMLResponse, response_model=None)
def search(
    request: Request, runtime: RuntimeDep, q: str = Query(default="", max_length=200)
) -> HTMLResponse | RedirectResponse:
    with runtime.db.reading() as session:
        hits = explorer.search(session, q)
    if len(hits) == 1:
        return RedirectResponse(hits[0].path, status_code=303)
    return render(request, "explorer/search.html", q=q, hits=hits, quote=quote)


# -- the certificate's QR code and PDF --------------------------------------------------------------


@lru_cache(maxsize=4096)
def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG (kept: a certificate's page address does not change)."""
    import segno

    return str(segno.make(url, error="m").svg_inline(scale=3, dark="#1b3d2f"))


PURPOSE_LABELS = {
    "event_neutrality": "Event neutrality",
    "voluntary": "Voluntary",
    "compliance": "Compliance",
    "organisation_neutrality": "Organisation neutrality",
    "personal_neutrality": "Personal neutrality",
    "other": "Other",
}


def certificate_pdf_bytes(c: dict[str, Any], page_url: str) -> bytes:
    """A retirement certificate as a one-page PDF, with a QR code of its public page."""
    batch = c.get("batch") or {}
    project = batch.get("project") or {}
    methodology = batch.get("methodology") or {}
    chain = c["chain"]
    rows = [
        ("Certificate", str(c["certificate_id"])),
        ("Amount", f"{c['amount_t']} t CO2e ({c['amount_kg']} kg)"),
        ("Serial block", c["serial_block"]),
        ("Beneficiary", c["beneficiary"]),
        ("Purpose", PURPOSE_LABELS.get(c["purpose"], c["purpose"])),
        ("Holder", f"{c['holder'].get('name') or ''} {c['holder']['address']}".strip()),
        ("Retired at", local_time(c["retired_at_unix"])),
        ("Jurisdiction", c["jurisdiction"] or ""),
        ("Batch", str(c["batch_id"])),
        ("Project", f"{project.get('name', '')} ({project.get('id', '')})" if project else ""),
        (
            "Methodology",
            f"{methodology.get('code', '')} v{methodology.get('version', '')}" if methodology else "",
        ),
        ("Event id", c["event_id"]),
        ("Chain id", str(chain["chain_id"])),
        ("Contract", chain["contract"]),
        ("Transaction", chain["tx_hash"]),
        ("Block", str(chain["block_number"])),
    ]
    return pdfs.certificate_pdf(
        title=f"Retirement certificate {c['certificate_id']}",
        heading="Carbon credit retirement certificate",
        subtitle=f"{c['amount_t']} t CO2e retired for {c['beneficiary']}",
        url=page_url,
        rows=rows,
        footer=f"Check it from the chain alone: tanhui verify {c['certificate_id']} --rpc-url URL "
        f"--contract {chain['contract']}. Public page: {page_url}",
    )
