"""Thin entry points: parse input, call one use case, translate domain errors."""
