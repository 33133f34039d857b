"""REST endpoints of the hospital side."""
