"""README.md's walk-through, run as written against `tanhui serve`."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from chain.localnode import free_port
from tests.api.test_cli_service import TANHUI, stop, wait_healthy

REPO = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- walkthrough:start -->\n```bash\n(.*?)```\n<!-- walkthrough:end -->", text, re.S)
    assert match, "README.md has no walk-through block"
    return match.group(1)


def test_readme_walkthrough__from_nothing_to_a_verified_certificate(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")}
    service = subprocess.Popen(
        [*TANHUI, "serve", "--data-dir", str(tmp_path), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", service)
        done = subprocess.run(
            ["bash", "-c", walkthrough()],
            cwd=REPO,
            env={
                **env,
                "API": f"http://127.0.0.1:{port}",
                "TANHUI_DATA_DIR": str(tmp_path),
                "PATH": os.environ["PATH"],
            },
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        out = done.stdout
        assert "published" in out and "registered" in out and "confirmed" in out
        assert "'issued_kg': 950560" in out
        assert '"beneficiary":"Chengdu Marathon 2025"' in out
        assert "verified on chain" in out
    finally:
        stop(service)
        subprocess.run(
            [*TANHUI, "chain", "down", "--data-dir", str(tmp_path)], capture_output=True, timeout=60
        )
