"""the deployment's signed transactions

The embedded chain writes its state every second; a chain killed before its first write after the
deployment, or whose state file is unreadable with no good copy, restarts without the contracts.
The registry then sent nothing the chain has, yet could not start: its database is bound to
contracts the chain lacks. It keeps the deployment's four signed transactions
(``registry_meta.deployment_txs``) and sends them again, with their original nonces, before it
sends again the operations the chain lost (registry/runtime.py, registry/recovery.py). A database
bound before this migration has none (NULL) and is refused as before.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registry_meta") as batch:
        batch.add_column(sa.Column("deployment_txs", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registry_meta") as batch:
        batch.drop_column("deployment_txs")
