"""donors are found by the start of a name word, a phone's last digits and a date of birth, each through an index

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-05 22:30:00
"""
import sqlalchemy as sa
from alembic import op

from bloodbank.domain.search_keys import MAX_TOKEN, donor_name_tokens, phone_digits_last_first

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None

BATCH = 5000


def _search_key():
    return sa.String(length=MAX_TOKEN).with_variant(sa.String(length=MAX_TOKEN, collation='C'), 'postgresql')


def upgrade() -> None:
    op.create_index('ix_donor_date_of_birth', 'donor', ['date_of_birth'], unique=False)
    op.add_column('donor', sa.Column('phone_key', _search_key(), nullable=True))
    op.create_index(op.f('ix_donor_phone_key'), 'donor', ['phone_key'], unique=False)
    op.create_table(
        'donor_name_token',
        sa.Column('donor_id', sa.Integer(), nullable=False),
        sa.Column('token', _search_key(), nullable=False),
        sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_donor_name_token_donor_id_donor')),
        sa.PrimaryKeyConstraint('donor_id', 'token', name=op.f('pk_donor_name_token')),
    )
    op.create_index('ix_donor_name_token_token', 'donor_name_token', ['token', 'donor_id'], unique=False)
    _fill_keys()


def _fill_keys() -> None:
    connection = op.get_bind()
    donor = sa.table('donor', sa.column('id', sa.Integer), sa.column('given_name', sa.String),
                     sa.column('family_name', sa.String), sa.column('phone', sa.String),
                     sa.column('phone_key', sa.String))
    token = sa.table('donor_name_token', sa.column('donor_id', sa.Integer), sa.column('token', sa.String))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(donor.c.id, donor.c.given_name, donor.c.family_name, donor.c.phone)
            .where(donor.c.id > last).order_by(donor.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        tokens = [{"donor_id": row.id, "token": t}
                  for row in rows for t in sorted(donor_name_tokens(row.given_name, row.family_name))]
        if tokens:
            connection.execute(token.insert(), tokens)
        for row in rows:
            key = phone_digits_last_first(row.phone)
            if key is not None:
                connection.execute(donor.update().where(donor.c.id == row.id).values(phone_key=key))
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index('ix_donor_name_token_token', table_name='donor_name_token')
    op.drop_table('donor_name_token')
    op.drop_index(op.f('ix_donor_phone_key'), table_name='donor')
    op.drop_column('donor', 'phone_key')
    op.drop_index('ix_donor_date_of_birth', table_name='donor')
