"""prefix indexes for ID number and 学籍号 search

A clerk finds a child by the first digits of the ID number or the 学籍号. SQLite answers
the prefix range from any b-tree; PostgreSQL answers ``LIKE 'p%'`` only from an index in
byte order (``varchar_pattern_ops``) unless the database's collation is C. So the ID
number gets a pattern index beside its unique one, and the 学籍号's index is rebuilt with
the pattern operator class (on SQLite it stays what it was).

Revision ID: f2c3d4e5a6b7
Revises: e1b2c3d4f5a6
Create Date: 2026-12-01 06:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f2c3d4e5a6b7'
down_revision = 'e1b2c3d4f5a6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('child', schema=None) as batch_op:
        batch_op.create_index(
            'ix_child_id_number_prefix',
            ['id_number'],
            unique=False,
            postgresql_ops={'id_number': 'varchar_pattern_ops'},
        )
        batch_op.drop_index('ix_child_student_no')
        batch_op.create_index(
            'ix_child_student_no',
            ['student_no'],
            unique=False,
            postgresql_ops={'student_no': 'varchar_pattern_ops'},
        )


def downgrade():
    with op.batch_alter_table('child', schema=None) as batch_op:
        batch_op.drop_index('ix_child_student_no')
        batch_op.create_index('ix_child_student_no', ['student_no'], unique=False)
        batch_op.drop_index('ix_child_id_number_prefix')
