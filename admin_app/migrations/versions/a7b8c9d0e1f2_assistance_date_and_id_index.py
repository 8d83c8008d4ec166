"""assistance records listed newest first from one index

The assistance list shows the newest records first (date, then id). With an index on the
date alone PostgreSQL reads every record of the latest day and sorts them before it can
show twenty: 27,000 rows, ~100 ms, on the province-scale trial's 3,000,000 records. An
index on (date, id) gives the list's order directly, first page and last, and still
answers ranges on the date.

Revision ID: a7b8c9d0e1f2
Revises: f2c3d4e5a6b7
Create Date: 2026-12-01 10:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7b8c9d0e1f2'
down_revision = 'f2c3d4e5a6b7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assistance_record', schema=None) as batch_op:
        batch_op.drop_index('ix_assistance_record_given_on')
        batch_op.create_index('ix_assistance_given_on_id', ['given_on', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('assistance_record', schema=None) as batch_op:
        batch_op.drop_index('ix_assistance_given_on_id')
        batch_op.create_index('ix_assistance_record_given_on', ['given_on'], unique=False)
