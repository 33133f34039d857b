"""REST endpoints of the donor side."""
