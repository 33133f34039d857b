"""each person holds their own credentials: a reset password must be replaced, tokens expire, service and demo accounts are marked

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 23:55:00
"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa
import bloodbank.adapters.db.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# Tokens issued before expiry existed live the default 90 days from their issue.
EXISTING_TOKEN_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('service_account', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('demo', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True))
    bind = op.get_bind()
    tokens = sa.table('api_token', sa.column('id', sa.Integer), sa.column('created_at', sa.DateTime),
                      sa.column('expires_at', sa.DateTime))
    for token_id, created in bind.execute(sa.select(tokens.c.id, tokens.c.created_at)).all():
        bind.execute(tokens.update().where(tokens.c.id == token_id)
                     .values(expires_at=created + timedelta(days=EXISTING_TOKEN_DAYS)))


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('demo')
        batch_op.drop_column('service_account')
        batch_op.drop_column('must_change_password')
