from minicache import make_key, memoize


def test_memoize_caches_results():
    calls = []

    @memoize(maxsize=8)
    def square(x):
        calls.append(x)
        return x * x

    assert square(3) == 9
    assert square(3) == 9
    assert calls == [3]
    assert square.cache_info().hits == 1
    assert square.cache_info().misses == 1


def test_bare_decorator():
    @memoize
    def double(x):
        return 2 * x

    assert double(2) == 4
    assert double.cache.maxsize == 128


def test_wraps_metadata():
    @memoize()
    def documented(x):
        """Docstring."""
        return x

    assert documented.__name__ == "documented"
    assert documented.__doc__ == "Docstring."


def test_kwargs_order_does_not_matter():
    assert make_key((1,), {"a": 1, "b": 2}) == make_key((1,), {"b": 2, "a": 1})
    assert make_key((1,), {}) != make_key((), {"x": 1})


def test_custom_key():
    calls = []

    @memoize(key=lambda user, request_id: user)
    def profile(user, request_id):
        calls.append(request_id)
        return {"user": user}

    profile("ann", 1)
    profile("ann", 2)
    assert calls == [1]


def test_cache_clear():
    @memoize(maxsize=4)
    def ident(x):
        return x

    ident(1)
    ident(1)
    ident.cache_clear()
    assert len(ident.cache) == 0
    assert ident.cache_info().hits == 0


def test_memoized_recursion():
    @memoize(maxsize=256)
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    assert fib(80) == 23416728348467685
