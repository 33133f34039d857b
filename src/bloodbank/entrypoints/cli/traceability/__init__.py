"""Commands: trace, lookback, recall."""
