"""bloodbank: blood donation and transfusion management."""

__version__ = "0.1.0"
