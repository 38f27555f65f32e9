"""The ``tanhui`` command line, one module per command group:

- :mod:`api.cli.chain`: ``chain up|down|status`` (the local anvil chain) and ``deploy``;
- :mod:`api.cli.service`: ``serve``, ``demo``, ``relay`` and ``reconcile``;
- :mod:`api.cli.verify`: ``verify`` and ``verify-claim`` (a certificate, a neutrality claim,
  from the chain alone);
- :mod:`api.cli.methodology`: ``methodology check`` (a declarative methodology, offline);
- :mod:`api.cli.points`: ``points ingest`` (a partner's acts) and ``points verify-proof``;
- :mod:`api.cli.market`: ``market book|trades|days|list|cancel|journal`` (the exchange) and
  ``verify-trade`` (a trade, from the chain alone);
- :mod:`api.cli.client`: ``api get|post`` (a client for the HTTP API);
- :mod:`api.cli.network`: ``network init|permissions`` (a Besu QBFT network kit, its allowlist);
- :mod:`api.cli.wallet`: ``wallet new|address|draft|sign`` (a participant's own key: self-custody).

The names and options are stable: README's "Command line" lists them and checks outside the
project use them. The console script is ``tanhui = "api.cli:app"``.
"""

from __future__ import annotations

from api.cli import chain, client, db, market, methodology, network, points, service, verify, wallet
from api.cli._common import new_typer

app = new_typer(help="Tanhui (碳惠) carbon-credit registry.")

# The command table: every top-level command and group (a group lists its own commands).
app.add_typer(chain.chain_app, name="chain")
app.command("deploy")(chain.deploy)
app.command("serve")(service.serve)
app.command("demo")(service.demo)
app.command("verify")(verify.verify)
app.command("verify-claim")(verify.verify_claim)
app.command("reconcile")(service.reconcile)
app.command("relay")(service.relay)
app.command("api")(client.api_call)
app.add_typer(methodology.methodology_app, name="methodology")
app.add_typer(points.points_app, name="points")
app.add_typer(market.market_app, name="market")
app.add_typer(wallet.wallet_app, name="wallet")
app.command("verify-trade")(market.verify_trade)
app.add_typer(network.network_app, name="network")
app.add_typer(db.db_app, name="db")


def main() -> None:
    app(prog_name="tanhui")


__all__ = ["app", "main"]
