"""The SQLite length triggers of the web space's tables, on every database.

The migration environment (re)creates the length triggers (``cigales.text_limits``) from the
tables known to the metadata. It loaded the bank tables' models but not the web space's
(``cigales.webmodels``): a database created or migrated by a process that had not imported
the web models (every command but ``serve``) got no length trigger on ``web_account``,
``web_role``, ``web_invitation`` and ``web_audit``. env.py now loads them; this revision makes
every database at the previous head run the environment once more, so that the triggers are
there too. PostgreSQL's VARCHAR needs none.

Revision ID: 0015_web
Revises: 0014_12u
"""

from __future__ import annotations

from alembic import op

from cigales import text_limits
from cigales.webmodels import WebAccount

revision = "0015_web"
down_revision = "0014_12u"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # env.py re-installs every length trigger after this run too; installing them here says
    # what the revision is for, and is idempotent.
    text_limits.install(op.get_bind(), WebAccount.metadata)


def downgrade() -> None:
    # The triggers stay: they are what the columns' sizes say, at any revision that has the
    # web tables (0009 onwards).
    pass
