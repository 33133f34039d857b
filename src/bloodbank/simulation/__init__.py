"""Synthetic populations for demo data, and the supply-chain simulator that runs the live rules on synthetic demand."""
