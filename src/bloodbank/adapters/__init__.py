"""Adapters around the domain core: database, messaging, labels, exchange formats."""
