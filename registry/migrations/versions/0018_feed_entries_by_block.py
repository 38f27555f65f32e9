"""feed entries found by block

The indexer appends the feed entries of a range of events at once, after one read of the entries
those events already have (after a rewind, the chain's events come again): that read selects by
block, which no index served (the unique key starts with the generation), so each read scanned
the whole feed.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_feed_entries_block_number", "feed_entries", ["block_number"])


def downgrade() -> None:
    op.drop_index("ix_feed_entries_block_number", table_name="feed_entries")
