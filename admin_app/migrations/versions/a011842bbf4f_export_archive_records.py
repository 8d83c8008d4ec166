"""export archive records: one row per issued workbook under exports/<year>/

Revision ID: a011842bbf4f
Revises: 7427208d53e7
Create Date: 2026-11-29 11:29:55.665734

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a011842bbf4f'
down_revision = '7427208d53e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=50), nullable=True),
    sa.Column('role', sa.Enum('admin', 'clerk', 'leader', 'inspector', 'village', 'school', name='export_role', native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('masked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_export_record_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_record')),
    sa.UniqueConstraint('path', name=op.f('uq_export_record_path'))
    )
    with op.batch_alter_table('export_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_record_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_record_report'), ['report'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_record_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('export_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_record_user_id'))
        batch_op.drop_index(batch_op.f('ix_export_record_report'))
        batch_op.drop_index(batch_op.f('ix_export_record_created_at'))

    op.drop_table('export_record')
