"""The donor at home: signing in, their own record, bookings, preferences, private answer, data and erasure request.

Every use case here takes the signed-in donor's id from their session, never from
the request, and reaches the donor side's own use cases for every rule.
"""
