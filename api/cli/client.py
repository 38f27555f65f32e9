"""``tanhui api get|post PATH``: a command-line client for the service's HTTP API."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli._common import DataDir, fail, print_json, settings_from


def api_call(
    method: Annotated[str, typer.Argument(metavar="METHOD", help="get or post")],
    path: Annotated[str, typer.Argument(metavar="PATH", help="e.g. /v1/batches/1")],
    data: Annotated[
        str | None, typer.Option("--data", "-d", metavar="JSON|@FILE", help="JSON body, or @FILE")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            metavar="URL",
            envvar="TANHUI_API_URL",
            help="The service [default: http://TANHUI_HOST:TANHUI_PORT, i.e. http://127.0.0.1:8000]",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", metavar="TOKEN", envvar="TANHUI_TOKEN", help="API token [default: the operator's]"
        ),
    ] = None,
    idempotency_key: Annotated[
        str | None, typer.Option("--idempotency-key", metavar="KEY", help="[default: a new one]")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Call the service's API and print the JSON answer: every feature of the API from the
    command line. Exits 1 on an error answer (its code and message go to stderr)."""
    verb = method.lower()
    if verb not in ("get", "post"):
        fail("METHOD is get or post", code=2)
    body = None
    if data is not None:
        try:
            text = Path(data[1:]).read_text(encoding="utf-8") if data.startswith("@") else data
        except OSError as e:
            fail(f"cannot read {data[1:]}: {e.strerror}", code=2)
        try:
            body = json.loads(text)
        except ValueError as e:
            fail(f"--data is not JSON: {e}", code=2)
    answer = service_request(
        verb, path, body, url=url, token=token, idempotency_key=idempotency_key, data_dir=data_dir
    )
    print_json(answer)


def service_request(
    verb: str,
    path: str,
    body: Any = None,
    *,
    url: str | None = None,
    token: str | None = None,
    idempotency_key: str | None = None,
    data_dir: Path | None = None,
    accept: str = "application/json",
) -> Any:
    """One call of the service's API (the operator's token by default); fails with the error's
    code and message on an error answer. A non-JSON answer (CSV) comes back as text."""
    import httpx

    settings = settings_from(data_dir=data_dir)
    if url is None:
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        url = f"http://{host}:{settings.port}"
    if token is None:
        token_file = settings.data_dir / "operator.token"
        token = token_file.read_text().strip() if token_file.exists() else None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers["Accept"] = accept
    if verb == "post":
        headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
    try:
        response = httpx.request(
            verb.upper(), url.rstrip("/") + path, json=body, headers=headers, timeout=180
        )
    except httpx.HTTPError as e:
        fail(f"cannot reach the service at {url}: {e}")
    if response.status_code < 400 and not response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        return response.text
    answer: Any
    try:
        answer = response.json()
    except ValueError:
        answer = {"error": {"code": "http_error", "message": response.text}}
    if response.status_code >= 400:
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        fail(f"{response.status_code} {error.get('code', '')}: {error.get('message', response.text)}")
    return answer
