"""points epochs keep their leaves as one row of packed arrays, not a row per leaf

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sys
from array import array

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _pack(values: list[int]) -> bytes:
    packed = array("q", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _unpack(data: bytes) -> list[int]:
    values = array("q")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


def upgrade() -> None:
    op.create_table(
        "points_epoch_leaves",
        sa.Column("epoch", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("leaf_count", sa.BigInteger(), nullable=False),
        sa.Column("citizen_ids", sa.LargeBinary(), nullable=False),
        sa.Column("points", sa.LargeBinary(), nullable=False),
        sa.Column("grams", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["epoch"], ["points_epochs.epoch"], name=op.f("fk_points_epoch_leaves_epoch_points_epochs")
        ),
        sa.PrimaryKeyConstraint("epoch", name=op.f("pk_points_epoch_leaves")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Stored as they are, not compressed (pglz took seconds over a million leaves' 24 MB).
        for column in ("citizen_ids", "points", "grams"):
            op.execute(f"ALTER TABLE points_epoch_leaves ALTER COLUMN {column} SET STORAGE EXTERNAL")
    epochs = [e for (e,) in bind.execute(sa.text("SELECT DISTINCT epoch FROM points_leaves ORDER BY epoch"))]
    for epoch in epochs:
        rows = bind.execute(
            sa.text("SELECT citizen_id, points, grams FROM points_leaves WHERE epoch = :e ORDER BY position"),
            {"e": epoch},
        ).all()
        bind.execute(
            sa.text(
                "INSERT INTO points_epoch_leaves (epoch, leaf_count, citizen_ids, points, grams)"
                " VALUES (:e, :n, :c, :p, :g)"
            ),
            {
                "e": epoch,
                "n": len(rows),
                "c": _pack([r[0] for r in rows]),
                "p": _pack([r[1] for r in rows]),
                "g": _pack([r[2] for r in rows]),
            },
        )
    op.drop_index(op.f("ix_points_leaves_citizen_id"), table_name="points_leaves")
    op.drop_table("points_leaves")


def downgrade() -> None:
    op.create_table(
        "points_leaves",
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("grams", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["epoch"], ["points_epochs.epoch"], name=op.f("fk_points_leaves_epoch_points_epochs")),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_points_leaves_citizen_id_citizens")),
        sa.PrimaryKeyConstraint("epoch", "position", name=op.f("pk_points_leaves")),
    )
    op.create_index(op.f("ix_points_leaves_citizen_id"), "points_leaves", ["citizen_id"], unique=False)
    bind = op.get_bind()
    for epoch, ids, points, grams in bind.execute(
        sa.text("SELECT epoch, citizen_ids, points, grams FROM points_epoch_leaves ORDER BY epoch")
    ).all():
        rows = zip(_unpack(ids), _unpack(points), _unpack(grams), strict=True)
        values = [
            {"e": epoch, "i": i, "c": c, "p": p, "g": g} for i, (c, p, g) in enumerate(rows)
        ]
        if values:
            bind.execute(
                sa.text(
                    "INSERT INTO points_leaves (epoch, position, citizen_id, points, grams)"
                    " VALUES (:e, :i, :c, :p, :g)"
                ),
                values,
            )
    op.drop_table("points_epoch_leaves")
