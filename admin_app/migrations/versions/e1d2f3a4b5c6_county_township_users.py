"""全县部署: township users and the 县教育局 role

``user_account.township_id`` limits a township role (admin, clerk, leader, inspector) to
one township's rows; NULL keeps today's reach (every township: a single-township
deployment, or the county's own accounts). The role ``county`` (县教育局) reads every
township. Roles are VARCHAR plus a named CHECK (``models.code_enum``), so the CHECK is
dropped and created again with the new code; "county" fits the column's 13 characters.

Revision ID: e1d2f3a4b5c6
Revises: a7b8c9d0e1f2
Create Date: 2026-12-01 13:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e1d2f3a4b5c6'
down_revision = 'a7b8c9d0e1f2'
branch_labels = None
depends_on = None

OLD_ROLES = ('admin', 'clerk', 'leader', 'inspector', 'village', 'school')
NEW_ROLES = (*OLD_ROLES, 'county')


def _roles_check(batch_op, roles):
    batch_op.drop_constraint(op.f('ck_user_account_user_role'), type_='check')
    batch_op.create_check_constraint(
        op.f('ck_user_account_user_role'),
        'role IN (' + ', '.join(f"'{r}'" for r in roles) + ')',
    )


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
        _roles_check(batch_op, NEW_ROLES)


def downgrade():
    # A 县教育局 account has no older equivalent: it goes (it never wrote anything).
    op.execute("DELETE FROM user_account WHERE role = 'county'")
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        _roles_check(batch_op, OLD_ROLES)
        batch_op.drop_constraint(
            batch_op.f('fk_user_account_township_id_township'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_user_account_township_id'))
        batch_op.drop_column('township_id')
