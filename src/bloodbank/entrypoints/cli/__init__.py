"""The `bloodbank` command line."""

from bloodbank.entrypoints.cli.app import app, main

__all__ = ["app", "main"]
