"""REST endpoints: trace, lookback, recall."""
