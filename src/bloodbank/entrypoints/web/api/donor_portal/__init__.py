"""The donor's own API, under /api/my: a donor session only."""
