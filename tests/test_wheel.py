"""The wheel of scripts/wheel, installed outside the repository: it carries the compiled contracts,
the migrations and the templates, and `tanhui demo` and `tanhui verify` run from it alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chain.compiler import PUBLISHED, packaged_artifacts
from chain.errors import CompileError
from chain.localnode import AnvilProcess
from chain.paths import REPO_ROOT
from tests.conftest import start_anvil

pytestmark = [pytest.mark.slow, pytest.mark.anvil]


@dataclass
class Installed:
    site: Path  # where the wheel was installed (--target)
    workdir: Path  # a working directory outside the repository
    env: dict[str, str]

    def python(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """The repository venv's python without its site-packages' start-up hooks (`-S`: the
        editable install of the repository is one), seeing the wheel's packages and, after them,
        the venv's third-party packages."""
        return subprocess.run(
            [sys.executable, "-S", *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def tanhui(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The `tanhui` console script the wheel installed."""
        return self.python(str(self.site / "bin" / "tanhui"), *args)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    assert not root.resolve().is_relative_to(REPO_ROOT)
    built = subprocess.run(
        [str(REPO_ROOT / "scripts" / "wheel"), str(root / "dist")],
        env={**os.environ, "TANHUI_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("tanhui-*.whl")
    assert built.stdout.strip() == str(wheel)
    site = root / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    workdir = root / "work"
    workdir.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TANHUI_"))},
        "PYTHONPATH": os.pathsep.join([str(site), sysconfig.get_paths()["purelib"]]),
        # A compile attempt would fail on this: the installed package must never try one.
        "TANHUI_SOLC": str(root / "no-such-solc"),
        "TANHUI_KEYSTORE_KDF_ITERATIONS": os.environ.get("TANHUI_KEYSTORE_KDF_ITERATIONS", "1024"),
    }
    return Installed(site, workdir, env)


@pytest.fixture
def node() -> Iterator[AnvilProcess]:
    node = start_anvil()
    yield node
    node.stop()


def test_wheel__its_packages_are_the_ones_imported_not_the_repository(installed: Installed) -> None:
    probe = (
        "import json, sys, api, chain, registry, chain.paths as p, registry.db as db;"
        "print(json.dumps({'files': [m.__file__ for m in (api, chain, registry)],"
        " 'checkout': p.IN_CHECKOUT, 'artifacts': str(p.ARTIFACTS_DIR), 'migrations': str(db.MIGRATIONS_DIR),"
        " 'path': sys.path}))"
    )
    done = installed.python("-c", probe)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    for file in seen["files"]:
        assert Path(file).is_relative_to(installed.site), file
    assert seen["checkout"] is False
    assert Path(seen["artifacts"]) == installed.site / "chain" / "artifacts"
    assert Path(seen["migrations"]) == installed.site / "registry" / "migrations"
    # The checkout itself is not on the path (the venv's site-packages may lie inside it).
    assert REPO_ROOT not in [(installed.workdir / entry).resolve() for entry in seen["path"]]


def test_wheel__carries_the_artifacts_migrations_and_templates(installed: Installed) -> None:
    artifacts = installed.site / "chain" / "artifacts"
    assert sorted(p.name for p in artifacts.iterdir()) == sorted(
        f"{name}{suffix}" for name in PUBLISHED for suffix in (".json", ".abi.json")
    )
    # The same contracts as the checkout's build, which the rest of the suite deploys.
    assert packaged_artifacts(artifacts) == packaged_artifacts(REPO_ROOT / "build" / "contracts")
    assert (installed.site / "api" / "templates" / "claim_certificate.html").is_file()
    # Swagger UI's assets (/docs), which a checkout serves from node_modules, and the app finds them.
    done = installed.python("-c", "import api.app as a; print(a.SWAGGER_UI_DIR)")
    assert done.returncode == 0, done.stderr
    assets = Path(done.stdout.strip())
    assert assets == installed.site / "api" / "static" / "swagger-ui", assets
    assert (assets / "swagger-ui-bundle.js").read_bytes() == (
        REPO_ROOT / "node_modules" / "swagger-ui-dist" / "swagger-ui-bundle.js"
    ).read_bytes()
    versions = installed.site / "registry" / "migrations" / "versions"
    assert sorted(p.name for p in versions.glob("*.py")) == sorted(
        p.name for p in (REPO_ROOT / "registry" / "migrations" / "versions").glob("*.py")
    )


def test_wheel__demo_and_verify_run_from_it_outside_the_repository(
    installed: Installed, node: AnvilProcess
) -> None:
    data_dir = installed.workdir / "data"
    demo = installed.tanhui("demo", "--rpc-url", node.url, "--json", "--data-dir", str(data_dir))
    assert demo.returncode == 0, demo.stderr
    summary = json.loads(demo.stdout)
    assert summary["rpc_url"] == node.url
    assert (data_dir / "deployments" / f"{summary['chain_id']}.json").is_file()
    assert not (installed.workdir / "build").exists()  # nothing compiled, nothing written here

    verified = installed.tanhui(
        "verify",
        str(summary["certificate_id"]),
        "--rpc-url",
        node.url,
        "--contract",
        summary["contracts"]["TanhuiCredits"],
        "--json",
    )
    assert verified.returncode == 0, verified.stderr
    evidence = json.loads(verified.stdout)
    assert evidence["verified"] is True
    assert evidence["tx_hash"] == summary["retirement_tx"]
    assert evidence["batch_id"] == summary["batch_id"]
    assert evidence["amount_kg"] == 120_500


def test_packaged_artifacts__missing_says_how_to_build_them(tmp_path: Path) -> None:
    with pytest.raises(CompileError, match=r"no contract sources.*scripts/wheel"):
        packaged_artifacts(tmp_path)
