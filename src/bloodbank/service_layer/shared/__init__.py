"""What every area uses: the unit of work, the one function that changes a unit's status,
ending a reservation, the unit graph, merging records, and the audit log."""
