"""A synthetic demo region, seeded through the use cases (`bloodbank demo`, `make run`, tests, benchmarks)."""
