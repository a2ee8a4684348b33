"""Exceptions."""


class RateLimitExceeded(Exception):
    """Raised by ``acquire()`` when the limiter refuses a call.

    ``retry_after`` is the number of seconds after which the call would
    be allowed.
    """

    def __init__(self, retry_after):
        super().__init__(f"rate limit exceeded; retry after {retry_after:.3f}s")
        self.retry_after = retry_after
