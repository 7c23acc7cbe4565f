"""Signed federation returns (issue 14, item 4).

- ``club.signing_key`` / ``club.signing_key_created_on``: the club's Ed25519 private key,
  which signs its yearly returns; every existing club gets one here, new clubs at creation;
- ``federation_club_key``: the clubs' public keys registered at a region, every version kept.

Revision ID: 0013_14s
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_14s"
down_revision = "0013_16f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federation_club_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_slug", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=44), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("replaced_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("current", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint("revision >= 1",
                           name=op.f("ck_federation_club_key_revision_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_club_key")),
        sa.UniqueConstraint("club_slug", "revision",
                            name=op.f("uq_federation_club_key_club_slug_revision")),
    )
    # Plain ADD COLUMNs (nullable, no constraint): SQLite needs no table rebuild.
    with op.batch_alter_table("club") as batch:
        batch.add_column(sa.Column("signing_key", sa.String(length=44), nullable=True))
        batch.add_column(sa.Column("signing_key_created_on", sa.Date(), nullable=True))

    # Existing clubs get their key now, so that every club can sign its next return.
    from cigales.federation.signing import encode, new_private_key

    conn = op.get_bind()
    club = sa.table("club", sa.column("id", sa.Integer()),
                    sa.column("signing_key", sa.String()),
                    sa.column("signing_key_created_on", sa.Date()))
    for (club_id,) in conn.execute(sa.select(club.c.id).where(club.c.signing_key.is_(None))):
        conn.execute(sa.update(club).where(club.c.id == club_id).values(
            signing_key=encode(new_private_key()),
            signing_key_created_on=sa.func.current_date()))


def downgrade() -> None:
    with op.batch_alter_table("club") as batch:
        batch.drop_column("signing_key_created_on")
        batch.drop_column("signing_key")
    op.drop_table("federation_club_key")
