"""Pages: trace, lookback, recall."""
