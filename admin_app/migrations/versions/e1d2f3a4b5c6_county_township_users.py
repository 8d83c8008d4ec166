"""全县部署: township users and the 县教育局 role

``user_account.township_id`` limits a township role (admin, clerk, leader, inspector) to
one township's rows; NULL keeps today's reach (every township: a single-township
deployment, or the county's own accounts). The role ``county`` (县教育局) reads every
township. Roles are VARCHAR plus a named CHECK (``models.code_enum``), so the CHECK is
dropped and created again with the new code; "county" fits the column's 13 characters.

Revision ID: e1d2f3a4b5c6
Revises: b1a2c3d4e5f6
Create Date: 2026-12-01 13:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e1d2f3a4b5c6'
down_revision = 'b1a2c3d4e5f6'
branch_labels = None
depends_on = None

# The role CHECKs admitting 'county' are b1a2c3d4e5f6's (report submissions), which
# came first when the branches were merged.


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('township_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_user_account_township_id'), ['township_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_user_account_township_id_township'),
            'township',
            ['township_id'],
            ['id'],
            ondelete='RESTRICT',
        )


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_user_account_township_id_township'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_user_account_township_id'))
        batch_op.drop_column('township_id')
