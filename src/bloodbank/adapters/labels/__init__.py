"""Printed output: cards and labels rendered to PDF."""
