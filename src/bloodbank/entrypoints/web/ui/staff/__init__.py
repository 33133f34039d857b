"""Pages: logging in, and administration."""
