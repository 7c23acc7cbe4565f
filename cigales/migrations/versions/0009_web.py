"""The web space: accounts, their roles, invitations, failed sign-ins and the audit log.

- ``web_account``: one per person (sign-in name = e-mail), Argon2id hash, ``epoch`` bumped on
  every password change or revocation so that older session cookies stop working;
- ``web_role``: what an account may see (member of a club, treasurer, region, federation);
- ``web_invitation``: one-time links (only their sha256 is stored), valid 7 days;
- ``web_sign_in_failure``: recent failed sign-ins, for throttling per account and address;
- ``web_audit``: every sign-in, failed sign-in and write action (who, when, what, from where).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("epoch", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_account")),
        sa.UniqueConstraint("email", name=op.f("uq_web_account_email")),
    )
    op.create_table(
        "web_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.CheckConstraint("kind IN ('member', 'treasurer', 'region', 'federation')",
                           name=op.f("ck_web_role_kind_known")),
        sa.CheckConstraint(
            "(kind = 'member' AND club_id IS NOT NULL AND member_id IS NOT NULL) OR "
            "(kind = 'treasurer' AND club_id IS NOT NULL AND member_id IS NULL) OR "
            "(kind = 'region' AND region IS NOT NULL AND club_id IS NULL) OR "
            "(kind = 'federation' AND club_id IS NULL AND region IS NULL)",
            name=op.f("ck_web_role_scope_matches_kind")),
        sa.ForeignKeyConstraint(["account_id"], ["web_account.id"],
                                name=op.f("fk_web_role_account_id_web_account")),
        sa.ForeignKeyConstraint(["club_id"], ["club.id"], name=op.f("fk_web_role_club_id_club")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_web_role_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_role")),
    )
    op.create_index("ix_web_role_account_id", "web_role", ["account_id"])
    op.create_table(
        "web_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["web_account.id"],
                                name=op.f("fk_web_invitation_account_id_web_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_invitation_token_hash")),
    )
    op.create_table(
        "web_sign_in_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sign_in_failure")),
    )
    op.create_index("ix_web_sign_in_failure_at", "web_sign_in_failure", ["at"])
    op.create_table(
        "web_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_audit")),
    )
    op.create_index("ix_web_audit_at", "web_audit", ["at"])


def downgrade() -> None:
    op.drop_index("ix_web_audit_at", table_name="web_audit")
    op.drop_table("web_audit")
    op.drop_index("ix_web_sign_in_failure_at", table_name="web_sign_in_failure")
    op.drop_table("web_sign_in_failure")
    op.drop_table("web_invitation")
    op.drop_index("ix_web_role_account_id", table_name="web_role")
    op.drop_table("web_role")
    op.drop_table("web_account")
