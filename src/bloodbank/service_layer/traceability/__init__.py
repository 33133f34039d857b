"""Vein to vein: tracing a DIN, looking back from a donor, and recalling units."""
