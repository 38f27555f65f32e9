"""the points ingestion's tables without per-row foreign-key checks

The ingestion writes a batch's acts and their ledger postings in one transaction, after locking
the partner and every citizen the batch names (registry/points/ingest.py); PostgreSQL's
foreign-key triggers checked each of those rows again, one lookup a row and key, about a third
of the ingestion's time. The references are checked set-wise instead: ``tanhui reconcile``
reports any posting or act whose citizen, act or partner does not exist (registry/reconcile.py).
The index on ``points_acts.citizen_id`` alone goes too: the index on (citizen_id, scene, day)
serves every lookup by citizen.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

FOREIGN_KEYS = [
    ("ledger_postings", "fk_ledger_postings_citizen_id_citizens", "citizens", "citizen_id"),
    ("ledger_postings", "fk_ledger_postings_act_id_points_acts", "points_acts", "act_id"),
    ("points_acts", "fk_points_acts_citizen_id_citizens", "citizens", "citizen_id"),
    ("points_acts", "fk_points_acts_partner_id_points_partners", "points_partners", "partner_id"),
]


def upgrade() -> None:
    op.drop_index("ix_points_acts_citizen_id", table_name="points_acts")
    for table in ("ledger_postings", "points_acts"):
        with op.batch_alter_table(table) as batch:
            for owner, name, _, _ in FOREIGN_KEYS:
                if owner == table:
                    batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    # Without the keys the tables may have come to name rows that do not exist (tanhui reconcile
    # reports them): the keys cannot come back over those, so say which before changing anything.
    bind = op.get_bind()
    for owner, name, target, column in FOREIGN_KEYS:
        orphans = bind.execute(
            sa.text(
                f"SELECT count(*) FROM {owner} o WHERE o.{column} IS NOT NULL"
                f" AND NOT EXISTS (SELECT 1 FROM {target} t WHERE t.id = o.{column})"
            )
        ).scalar_one()
        if orphans:
            raise RuntimeError(
                f"cannot restore {name}: {orphans} row(s) of {owner} name a {column} that {target} does"
                " not have (tanhui reconcile lists them); correct them first"
            )
    for table in ("points_acts", "ledger_postings"):
        with op.batch_alter_table(table) as batch:
            for owner, name, target, column in FOREIGN_KEYS:
                if owner == table:
                    batch.create_foreign_key(name, target, [column], ["id"])
    op.create_index("ix_points_acts_citizen_id", "points_acts", ["citizen_id"], unique=False)
