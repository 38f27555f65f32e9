"""The supervisors' dashboard (R23–R24) at ``/supervision``: server-rendered, for participants
with the supervisor role, signed in with their API token.

The token is kept in an HttpOnly, SameSite=Strict cookie scoped to ``/supervision``; every form
carries a CSRF token derived from it (a keyed hash the page knows and another site cannot
read), and every action asks for a reason. Actions call the same registry services, through
``runtime.commands``, as the API's supervision and market routes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import RuntimeDep
from api.explorer_i18n import translator
from api.routers.pages import language, public_id_or_none, render
from registry import explorer, market, participants, supervision
from registry.amounts import parse_tonnes
from registry.commands import Answer, IdempotencyKey, Outcome
from registry.errors import RegistryError
from registry.idempotency import request_hash
from registry.models import Participant
from registry.runtime import Runtime

router = APIRouter(prefix="/supervision", include_in_schema=False)

SESSION_COOKIE = "tanhui_supervisor"
COOKIE_PATH = "/supervision"
SESSION_SECONDS = 8 * 3600
MAX_FORM_BYTES = 16_384
MAX_REASON = 1000


def csrf_token(token: str) -> str:
    """The CSRF token of a signed-in session: a keyed hash of its API token (so it is the same
    in every process of the service, and no other site can compute it)."""
    return hmac.new(b"tanhui-dashboard-csrf", token.encode(), hashlib.sha256).hexdigest()


def _supervisor(runtime: Runtime, token: str | None) -> Participant | None:
    """The participant the token names, or None (no token or a revoked one)."""
    if not token:
        return None
    try:
        with runtime.db.reading() as session:
            participant = participants.authenticate(session, token)
            participant.role_names  # noqa: B018 - loads the roles before the session closes
            session.expunge(participant)
            return participant
    except RegistryError:
        return None


def _is_supervisor(participant: Participant) -> bool:
    return "supervisor" in participant.role_names


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form body (first value of each field); too long a body is empty."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        return {}
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=50)
    except ValueError:  # more fields than any form of the dashboard has
        return {}
    return {k: v[0] for k, v in parsed.items()}


def _sign_in_page(request: Request, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "explorer/sign_in.html", status_code, error=error)


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    token = request.cookies.get(SESSION_COOKIE)
    actor = _supervisor(runtime, token)
    if actor is None or token is None:
        return _sign_in_page(request, status_code=401 if token else 200)
    if not _is_supervisor(actor):
        return render(request, "explorer/forbidden.html", 403)
    with runtime.db.reading() as session:
        data = explorer.dashboard(session)
        last = explorer.last_reconcile(session)
    notice, notice_ok = _notice(request)
    return render(
        request,
        "explorer/dashboard.html",
        data=data,
        reconcile=last,
        actor=actor,
        csrf=csrf_token(token),
        notice=notice,
        notice_ok=notice_ok,
        # One key per rendering of the page (each form adds its action): a double-click acts once.
        form_key=secrets.token_hex(8),
        project_types=list(market.PROJECT_TYPES),
    )


@router.post("/session", response_class=HTMLResponse, response_model=None)
async def sign_in(request: Request, runtime: RuntimeDep) -> Response:
    form = await _form(request)
    token = form.get("token", "").strip()
    actor = _supervisor(runtime, token)
    t = translator(language(request))
    if actor is None:
        return _sign_in_page(request, t("bad_token"), 401)
    if not _is_supervisor(actor):
        return render(request, "explorer/forbidden.html", 403)
    response = RedirectResponse("/supervision", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out", response_model=None)
async def sign_out(request: Request) -> Response:
    response = RedirectResponse("/supervision", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response


#: Signs the notices the dashboard redirects with, so that a link cannot put words in its mouth
#: (a notice whose signature is not this process's is not shown).
_NOTICE_KEY = secrets.token_bytes(32)


def _notice_signature(message: str, ok: bool) -> str:
    return hmac.new(_NOTICE_KEY, f"{int(ok)}:{message}".encode(), hashlib.sha256).hexdigest()


def _done(message: str, ok: bool) -> RedirectResponse:
    message = message[:300]
    query = {"notice": message, "ok": "1" if ok else "0", "sig": _notice_signature(message, ok)}
    return RedirectResponse("/supervision?" + urlencode(query), 303)


def _notice(request: Request) -> tuple[str | None, bool]:
    """The notice of the redirect that brought the supervisor here, if this service signed it."""
    message = request.query_params.get("notice")
    ok = request.query_params.get("ok") == "1"
    signature = request.query_params.get("sig", "")
    if message is None or not hmac.compare_digest(
        signature.encode(), _notice_signature(message, ok).encode()
    ):
        return None, False
    return message, ok


def _outcome(answer: Answer) -> tuple[str, bool]:
    ops = answer.body.get("operations") or ([answer.body] if "tx_hash" in answer.body else [])
    txs = ", ".join(str(op.get("tx_hash", "")) for op in ops if isinstance(op, dict))
    return f"{answer.outcome.value}: {txs}".strip(), answer.outcome != Outcome.REJECTED


ACTIONS = (
    "freeze_account",
    "unfreeze_account",
    "freeze_batch",
    "unfreeze_batch",
    "halt",
    "resume",
    "invalidate",
)


def _participant_id(text: str) -> str:
    if public_id_or_none(text.strip()) is None:
        raise ValueError("participant_id")
    return text.strip()


def _batch_id(text: str) -> int:
    if not (text.strip().isascii() and text.strip().isdigit()) or not 0 < int(text.strip()) < 2**63:
        raise ValueError("batch_id")
    return int(text.strip())


@router.post("/actions", response_model=None)
async def act(request: Request, runtime: RuntimeDep) -> Response:
    """One supervisory action from the dashboard's forms: `action` with its fields, a `reason`
    and the session's `csrf` token."""
    token = request.cookies.get(SESSION_COOKIE)
    actor = _supervisor(runtime, token)
    if actor is None or token is None:
        return _sign_in_page(request, status_code=401)
    if not _is_supervisor(actor):
        return render(request, "explorer/forbidden.html", 403)
    form = await _form(request)
    t = translator(language(request))
    if not hmac.compare_digest(form.get("csrf", "").encode(), csrf_token(token).encode()):
        return render(request, "explorer/forbidden.html", 403, message=t("csrf"))
    action = form.get("action", "")
    reason = form.get("reason", "").strip()
    if any("\x00" in value for value in form.values()):  # PostgreSQL text cannot hold NUL
        return _done(f"{t('refused')}: text must not contain NUL (U+0000) characters", False)
    if action not in ACTIONS:
        return _done(f"unknown action {action[:40]!r}", False)
    if not reason or len(reason) > MAX_REASON:
        return _done(t("reason_required"), False)
    # The form's own key (one per rendering of the page): a double-click acts once.
    key = form.get("idempotency", "")[:200] or None
    try:
        answer = _run(runtime, actor, action, form, reason, key)
    except ValueError as err:
        return _done(f"{t('refused')}: {err}", False)
    except RegistryError as err:
        return _done(f"{t('refused')}: {err.code}: {err.message}", False)
    message, ok = _outcome(answer)
    return _done(message, ok)


def _run(
    runtime: Runtime, actor: Participant, action: str, form: dict[str, str], reason: str, key: str | None
) -> Answer:
    fields = urlencode(sorted((k, v) for k, v in form.items() if k != "csrf")).encode()
    fingerprint = (
        None
        if key is None
        else IdempotencyKey(key, request_hash("POST", f"/supervision/actions/{action}", fields))
    )
    outbox = runtime.outbox

    def supervise(make: Callable[[Any], Any]) -> Answer:
        return supervision.act(runtime.commands, actor, make, idempotency=fingerprint)

    if action in ("freeze_account", "unfreeze_account"):
        participant_id = _participant_id(form.get("participant_id", ""))
        frozen = action == "freeze_account"
        return supervise(lambda s: supervision.freeze_account(s, outbox, participant_id, frozen, reason))
    if action in ("freeze_batch", "unfreeze_batch"):
        batch_id = _batch_id(form.get("batch_id", ""))
        frozen = action == "freeze_batch"
        return supervise(lambda s: supervision.freeze_batch(s, outbox, batch_id, frozen, reason))
    if action == "invalidate":
        batch_id = _batch_id(form.get("batch_id", ""))
        holder = _participant_id(form.get("participant_id", ""))
        amount_kg = parse_tonnes(form.get("amount_t", "").strip())
        return supervise(lambda s: supervision.invalidate(s, outbox, batch_id, holder, amount_kg, reason))
    # halt / resume: a project type or a batch
    type_name = form.get("project_type", "").strip()
    batch_text = form.get("batch_id", "").strip()
    if bool(type_name) == bool(batch_text):
        raise ValueError("give either a project type or a batch id")
    return market.set_halt_command(
        runtime.commands,
        outbox,
        actor,
        kind=market.project_type(type_name) if type_name else None,
        batch_id=_batch_id(batch_text) if batch_text else None,
        halted_now=action == "halt",
        reason=reason,
        idempotency=fingerprint,
    )


@router.post("/reconcile", response_model=None)
async def run_reconcile(request: Request, runtime: RuntimeDep) -> Response:
    """Runs :func:`registry.reconcile.reconcile` now and records its summary."""
    token = request.cookies.get(SESSION_COOKIE)
    actor = _supervisor(runtime, token)
    if actor is None or token is None:
        return _sign_in_page(request, status_code=401)
    if not _is_supervisor(actor):
        return render(request, "explorer/forbidden.html", 403)
    form = await _form(request)
    if not hmac.compare_digest(form.get("csrf", "").encode(), csrf_token(token).encode()):
        return render(request, "explorer/forbidden.html", 403, message=translator(language(request))("csrf"))
    from registry.reconcile import reconcile

    report = reconcile(runtime)
    with runtime.db.transaction() as session:
        explorer.record_reconcile(session, report, by=actor.public_id)
    differences = len(report.differences)
    return _done(f"reconcile: block {report.block}, {differences} differences", report.ok)
