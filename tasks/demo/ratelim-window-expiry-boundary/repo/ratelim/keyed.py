"""One limiter per key (user, IP address, API token, ...)."""


class KeyedLimiter:
    """Lazily create a limiter per key using *factory*.

    ``factory`` is a zero-argument callable returning a new limiter object
    with ``try_acquire``/``acquire``/``retry_after`` methods.
    """

    def __init__(self, factory):
        self._factory = factory
        self._limiters = {}

    def limiter(self, key):
        """Return (creating if needed) the limiter for *key*."""
        try:
            return self._limiters[key]
        except KeyError:
            limiter = self._limiters[key] = self._factory()
            return limiter

    def try_acquire(self, key):
        return self.limiter(key).try_acquire()

    def acquire(self, key):
        return self.limiter(key).acquire()

    def retry_after(self, key):
        return self.limiter(key).retry_after()

    def __len__(self):
        return len(self._limiters)

    def __contains__(self, key):
        return key in self._limiters
