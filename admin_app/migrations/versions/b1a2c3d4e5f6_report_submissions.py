"""月报/学期报 as records: report_submission, its snapshot frozen when prepared; role 县教育局

The 县教育局 role (``county``) reads the submitted reports: the two CHECKs listing roles
(``user_account.role``, ``export_record.role``) admit it. The helper adding that role for
the rest of the panel may carry the same change: keep one of the two when merging.

Revision ID: b1a2c3d4e5f6
Revises: c1b2d3e4f5a6
Create Date: 2026-12-01 14:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b1a2c3d4e5f6'
down_revision = 'c1b2d3e4f5a6'
branch_labels = None
depends_on = None


OLD_ROLES = ('admin', 'clerk', 'leader', 'inspector', 'village', 'school')
NEW_ROLES = (*OLD_ROLES, 'county')
#: (table, column, constraint) of every CHECK that lists roles.
ROLE_CHECKS = (
    ('user_account', 'role', 'ck_user_account_user_role'),
    ('export_record', 'role', 'ck_export_record_export_role'),
)


def _replace_role_checks(roles):
    check = ', '.join(f"'{r}'" for r in roles)
    for table, column, name in ROLE_CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(name), type_='check')
            batch_op.create_check_constraint(op.f(name), f'{column} IN ({check})')


def upgrade():
    _replace_role_checks(NEW_ROLES)
    op.create_table(
        'report_submission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('township_id', sa.Integer(), nullable=False),
        sa.Column(
            'kind',
            sa.Enum('monthly', 'term', name='report_kind', native_enum=False,
                    create_constraint=True, length=11),
            nullable=False,
        ),
        sa.Column('period', sa.String(length=20), nullable=False),
        sa.Column('period_label', sa.String(length=40), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('supersedes_id', sa.Integer(), nullable=True),
        sa.Column('correction_reason', sa.Text(), nullable=True),
        sa.Column(
            'status',
            sa.Enum('prepared', 'returned', 'reviewed', 'submitted', 'superseded',
                    name='submission_status', native_enum=False, create_constraint=True,
                    length=14),
            nullable=False,
        ),
        sa.Column('prepared_by_id', sa.Integer(), nullable=True),
        sa.Column('prepared_by_name', sa.String(length=50), nullable=True),
        sa.Column('prepared_at', sa.DateTime(), nullable=True),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_by_name', sa.String(length=50), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(), nullable=True),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('submitted_by_name', sa.String(length=50), nullable=True),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.Column('return_reason', sa.Text(), nullable=True),
        sa.Column('steps', sa.JSON(), nullable=False),
        sa.Column('snapshot', sa.Text(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.CheckConstraint('revision >= 1', name=op.f('ck_report_submission_report_submission_revision_positive')),
        sa.CheckConstraint(
            'supersedes_id IS NULL OR correction_reason IS NOT NULL',
            name=op.f('ck_report_submission_report_submission_correction_reason'),
        ),
        sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_report_submission_township_id_township'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['supersedes_id'], ['report_submission.id'], name=op.f('fk_report_submission_supersedes_id_report_submission')),
        sa.ForeignKeyConstraint(['prepared_by_id'], ['user_account.id'], name=op.f('fk_report_submission_prepared_by_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_report_submission_reviewed_by_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_report_submission_submitted_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_submission')),
        sa.UniqueConstraint('township_id', 'kind', 'period', 'revision', name='uq_report_submission_revision'),
    )
    with op.batch_alter_table('report_submission', schema=None) as batch_op:
        batch_op.create_index('ix_report_submission_period', ['township_id', 'kind', 'period'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_submission_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_submission_submitted_at'), ['submitted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('report_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_submission_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_report_submission_status'))
        batch_op.drop_index('ix_report_submission_period')
    op.drop_table('report_submission')
    # A county account becomes a deactivated read-only one: no role of before may read as it did.
    op.execute("UPDATE user_account SET role = 'inspector', active = false WHERE role = 'county'")
    op.execute("UPDATE export_record SET role = 'inspector' WHERE role = 'county'")
    _replace_role_checks(OLD_ROLES)
