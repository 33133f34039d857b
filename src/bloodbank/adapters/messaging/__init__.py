"""Senders of messages to donors: email over SMTP, SMS through an HTTP gateway."""
