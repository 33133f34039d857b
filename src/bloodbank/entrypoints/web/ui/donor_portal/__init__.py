"""The donor's own pages, under /my."""
