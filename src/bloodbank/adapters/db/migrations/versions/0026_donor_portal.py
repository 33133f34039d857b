"""the donor portal: sign-in requests, donor sessions, portal choices, erasure requests, answers from home (sealed)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 04:36:01.612808
"""
from alembic import op
import sqlalchemy as sa
import bloodbank.adapters.db.types


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('donor_erasure_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_donor_erasure_request_donor_id_donor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donor_erasure_request')),
    sa.UniqueConstraint('donor_id', name=op.f('uq_donor_erasure_request_donor_id'))
    )
    op.create_table('donor_portal_choice',
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('blood_used_opt_in', sa.Boolean(), nullable=False),
    sa.Column('available_until', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_donor_portal_choice_donor_id_donor')),
    sa.PrimaryKeyConstraint('donor_id', name=op.f('pk_donor_portal_choice'))
    )
    op.create_table('donor_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('ended_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_donor_session_donor_id_donor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donor_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_donor_session_token_hash'))
    )
    with op.batch_alter_table('donor_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_donor_session_donor_id'), ['donor_id'], unique=False)

    op.create_table('donor_sign_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_hash', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=5), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=True),
    sa.Column('contact_hash', sa.String(length=64), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('created_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=True),
    sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f('ck_donor_sign_in_channel_known')),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_donor_sign_in_donor_id_donor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donor_sign_in')),
    sa.UniqueConstraint('challenge_hash', name=op.f('uq_donor_sign_in_challenge_hash'))
    )
    with op.batch_alter_table('donor_sign_in', schema=None) as batch_op:
        batch_op.create_index('ix_donor_sign_in_client', ['client', 'created_at'], unique=False)
        batch_op.create_index('ix_donor_sign_in_contact', ['contact_hash', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_donor_sign_in_donor_id'), ['donor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_donor_sign_in_secret_hash'), ['secret_hash'], unique=False)

    op.create_table('home_questionnaire',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('filled_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_home_questionnaire_donor_id_donor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_home_questionnaire')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_home_questionnaire_token_hash'))
    )
    with op.batch_alter_table('home_questionnaire', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_home_questionnaire_donor_id'), ['donor_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('home_questionnaire', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_home_questionnaire_donor_id'))

    op.drop_table('home_questionnaire')
    with op.batch_alter_table('donor_sign_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donor_sign_in_secret_hash'))
        batch_op.drop_index(batch_op.f('ix_donor_sign_in_donor_id'))
        batch_op.drop_index('ix_donor_sign_in_contact')
        batch_op.drop_index('ix_donor_sign_in_client')

    op.drop_table('donor_sign_in')
    with op.batch_alter_table('donor_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donor_session_donor_id'))

    op.drop_table('donor_session')
    op.drop_table('donor_portal_choice')
    op.drop_table('donor_erasure_request')
