"""import batch unchanged count

ImportBatch.n_unchanged: rows of a file the register already held as they were
(re-importing a list changes nothing, and the batch says so).

Revision ID: 7427208d53e7
Revises: 75840a40b810
Create Date: 2026-11-29 11:27:12.075203

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7427208d53e7'
down_revision = '75840a40b810'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('n_unchanged', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_column('n_unchanged')
