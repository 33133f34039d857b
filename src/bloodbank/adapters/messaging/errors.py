from __future__ import annotations


class SendFailed(Exception):
    """The message may not have left: the outbox tries again later. `permanent` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent
