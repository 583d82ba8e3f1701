"""staff sessions replace users.session_version

Ending a person's sessions now revokes their rows in staff_sessions (sign-out, deactivation,
second-factor reset, role change), so the per-account version counter is no longer read.

Revision ID: 5e1a9c0b7d24
Revises: d9b05432d070
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1a9c0b7d24'
down_revision = 'd9b05432d070'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='1'))
