"""Figures across areas: the overview a medical director opens on."""
