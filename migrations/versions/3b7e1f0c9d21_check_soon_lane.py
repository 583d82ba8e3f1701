"""three levels of worry: a "check soon" lane for the learned model's medium scores

Lanes are renumbered so the model's wider net has its own leads' lane after a reviewer's "not
sure" and before personal details: urgent 3 -> 4, escalated 2 -> 3, check soon is 2. The level
and the model's score live in the screening JSON (no column). Urgent first, so no row is moved
twice.

Revision ID: 3b7e1f0c9d21
Revises: c940e3a35300
Create Date: 2026-11-30 13:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "3b7e1f0c9d21"
down_revision = "c940e3a35300"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE submissions SET priority = 4 WHERE priority = 3")
    op.execute("UPDATE submissions SET priority = 3 WHERE priority = 2")


def downgrade():
    # A "check soon" item joins the escalated lane, which leads still read, rather than an
    # ordinary lane where facilitators would.
    op.execute("UPDATE submissions SET priority = 2 WHERE priority IN (2, 3)")
    op.execute("UPDATE submissions SET priority = 3 WHERE priority = 4")
