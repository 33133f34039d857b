"""The audit log's filters read from indexes.

The log viewer filters by actor, action and record, newest first, and offers the values each filter can take.
Without these indexes each view read the whole log: over a second at a million entries (docs/benchmarks.md).

Revision ID: 0030
Revises: 0029
"""

from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

INDEXES = {'ix_audit_entry_actor': ['actor', 'id'], 'ix_audit_entry_action': ['action', 'id'],
           'ix_audit_entry_entity': ['entity', 'id']}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, 'audit_entry', columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name='audit_entry')
