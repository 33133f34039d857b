"""Messages to donors: the outbox they are written to, and the sender that empties it."""
