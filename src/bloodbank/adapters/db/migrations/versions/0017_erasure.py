"""audit values move to payloads the chain holds by digest; donors' personal data can be erased at their request

Revision ID: 0017
Revises: 0018
Create Date: 2026-12-08 09:00:00

Every entry written so far keeps verifying as it did: its values move, unchanged,
to a payload without a salt, and the entry is marked format 1 (its hash covers
the values). New entries are format 2 (their hash covers a salted digest of the
payload; domain.audit_chain).
"""
from alembic import op
import sqlalchemy as sa
import bloodbank.adapters.db.types
from bloodbank.adapters.db.append_only import drop_append_only, make_append_only


revision = '0017'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_payload',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('old', sa.JSON(), nullable=True),
    sa.Column('new', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('salt', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['audit_entry.id'], name=op.f('fk_audit_payload_entry_id_audit_entry')),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_audit_payload'))
    )
    op.create_table('audit_erasure',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('erased_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['audit_entry.id'], name=op.f('fk_audit_erasure_entry_id_audit_entry')),
    sa.ForeignKeyConstraint(['erased_by_id'], ['audit_entry.id'],
                            name=op.f('fk_audit_erasure_erased_by_id_audit_entry')),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_audit_erasure'))
    )
    op.create_index(op.f('ix_audit_erasure_erased_by_id'), 'audit_erasure', ['erased_by_id'], unique=False)

    # The values move as they are: JSON to JSON, text to text, so what was hashed is what is read back.
    op.execute("INSERT INTO audit_payload (entry_id, old, new, reason) "
               "SELECT id, old, new, reason FROM audit_entry")
    op.add_column('audit_entry', sa.Column('format', sa.Integer(), server_default=sa.text('1'), nullable=False))
    op.add_column('audit_entry', sa.Column('payload_digest', sa.String(length=64), nullable=True))
    # Native DROP COLUMN on both databases (SQLite 3.35+): the table is not copied, its triggers stay.
    for column in ('reason', 'new', 'old'):
        op.drop_column('audit_entry', column)
    make_append_only('audit_payload')
    make_append_only('audit_erasure')

    op.create_table('donor_erasure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('erased_at', bloodbank.adapters.db.types.UTCDateTime(), nullable=False),
    sa.Column('erased_by', sa.String(length=100), nullable=False),
    sa.Column('audit_entry_id', sa.Integer(), nullable=False),
    sa.Column('statement', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind IN ('request', 'retention')", name=op.f('ck_donor_erasure_kind_known')),
    sa.ForeignKeyConstraint(['audit_entry_id'], ['audit_entry.id'],
                            name=op.f('fk_donor_erasure_audit_entry_id_audit_entry')),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_donor_erasure_donor_id_donor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donor_erasure')),
    sa.UniqueConstraint('donor_id', name=op.f('uq_donor_erasure_donor_id'))
    )
    op.create_table('erased_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('erasure_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['erasure_id'], ['donor_erasure.id'], name=op.f('fk_erased_identity_erasure_id_donor_erasure')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erased_identity'))
    )
    op.create_index(op.f('ix_erased_identity_erasure_id'), 'erased_identity', ['erasure_id'], unique=False)


class CannotGoBack(RuntimeError):
    pass


def downgrade() -> None:
    bind = op.get_bind()
    written = bind.execute(sa.text("SELECT count(*) FROM audit_entry WHERE format <> 1")).scalar()
    if written:
        # Their hashes cover payload digests: the values put back into the entries could never verify again.
        raise CannotGoBack(f"{written} audit entries were written with payload digests; the revision before cannot "
                           "verify them. Restore a backup taken before the upgrade instead.")
    op.drop_index(op.f('ix_erased_identity_erasure_id'), table_name='erased_identity')
    op.drop_table('erased_identity')
    op.drop_table('donor_erasure')

    drop_append_only('audit_erasure')
    drop_append_only('audit_payload')
    for column in (sa.Column('old', sa.JSON(), nullable=True), sa.Column('new', sa.JSON(), nullable=True),
                   sa.Column('reason', sa.Text(), nullable=True)):
        op.add_column('audit_entry', column)
    drop_append_only('audit_entry')
    for column in ('old', 'new', 'reason'):
        op.execute(f"UPDATE audit_entry SET {column} = "
                   f"(SELECT p.{column} FROM audit_payload p WHERE p.entry_id = audit_entry.id)")
    make_append_only('audit_entry')
    op.drop_column('audit_entry', 'payload_digest')
    op.drop_column('audit_entry', 'format')
    op.drop_index(op.f('ix_audit_erasure_erased_by_id'), table_name='audit_erasure')
    op.drop_table('audit_erasure')
    op.drop_table('audit_payload')
