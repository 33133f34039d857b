"""REST endpoints of the blood side."""
