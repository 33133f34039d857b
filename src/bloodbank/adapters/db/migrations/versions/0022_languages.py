"""the language a staff member reads the pages in, and the one a donor reads what is written to them in

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-06 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: an account or donor nobody asked keeps following their browser's language.
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('donor') as batch:
        batch.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('donor') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('language')
