"""A registry process that serves one POST and is killed at a crash point.

Run by the crash tests as ``python -m tests.api.crash_worker '<json>'`` with
``TANHUI_CRASH_AT`` set: the process exits as ``kill -9`` would at that point of the request.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from chain import ChainClient
from registry.runtime import Runtime
from registry.settings import Settings


def main() -> None:
    args = json.loads(sys.argv[1])
    settings = Settings(
        data_dir=Path(args["data_dir"]),
        database_url=args["database_url"],
        keystore_secret=args["keystore_secret"],
    )
    runtime = Runtime.open(settings, ChainClient.connect(args["rpc_url"]), bind=False)
    with TestClient(create_app(runtime, background=False)) as client:
        response = client.post(
            args["path"],
            json=args["body"],
            headers={"Authorization": f"Bearer {args['token']}", "Idempotency-Key": args["key"]},
        )
    print(json.dumps({"status": response.status_code, "body": response.json()}))


if __name__ == "__main__":
    main()
