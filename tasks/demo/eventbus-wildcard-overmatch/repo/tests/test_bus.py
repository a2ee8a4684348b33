import pytest

from eventbus import EventBus, InvalidPattern


def test_emit_calls_handler_with_event():
    bus = EventBus()
    seen = []
    bus.on("user.created", seen.append)
    assert bus.emit("user.created", {"name": "ann"}) == 1
    assert seen[0].name == "user.created"
    assert seen[0].payload == {"name": "ann"}


def test_decorator_returns_function():
    bus = EventBus()

    @bus.on("ping")
    def handler(event):
        return "pong"

    assert handler(None) == "pong"
    assert bus.listeners("ping") == [handler]


def test_wildcard_subscription():
    bus = EventBus()
    seen = []
    bus.on("user.*", lambda e: seen.append(e.name))
    bus.emit("user.created")
    bus.emit("user.deleted")
    bus.emit("order.created")
    assert seen == ["user.created", "user.deleted"]


def test_priority_order():
    bus = EventBus()
    calls = []
    bus.on("x", lambda e: calls.append("low"))
    bus.on("x", lambda e: calls.append("high"), priority=5)
    bus.on("x", lambda e: calls.append("low2"))
    bus.emit("x")
    assert calls == ["high", "low", "low2"]


def test_once():
    bus = EventBus()
    calls = []
    bus.once("ready", calls.append)
    assert bus.emit("ready") == 1
    assert bus.emit("ready") == 0
    assert len(calls) == 1


def test_once_decorator():
    bus = EventBus()
    calls = []

    @bus.once("ready")
    def handler(event):
        calls.append(event)

    bus.emit("ready")
    bus.emit("ready")
    assert len(calls) == 1


def test_cancel_subscription():
    bus = EventBus()
    calls = []
    sub = bus.on("x", calls.append)
    sub.cancel()
    sub.cancel()
    assert bus.emit("x") == 0
    assert len(bus) == 0


def test_off_by_handler_and_pattern():
    bus = EventBus()
    h1 = lambda e: None  # noqa: E731
    h2 = lambda e: None  # noqa: E731
    bus.on("a", h1)
    bus.on("b", h1)
    bus.on("a", h2)
    assert bus.off(handler=h1) == 2
    assert bus.off(pattern="a") == 1
    assert len(bus) == 0


def test_handler_cancelling_a_later_handler():
    bus = EventBus()
    calls = []
    later = None

    def first(event):
        calls.append("first")
        later.cancel()

    bus.on("x", first, priority=1)
    later = bus.on("x", lambda e: calls.append("later"))
    bus.emit("x")
    assert calls == ["first"]


def test_exceptions_propagate_by_default():
    bus = EventBus()
    bus.on("x", lambda e: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        bus.emit("x")


def test_error_handler():
    errors = []
    bus = EventBus(error_handler=lambda exc, event, sub: errors.append((type(exc), event.name)))
    calls = []
    bus.on("x", lambda e: 1 / 0, priority=1)
    bus.on("x", calls.append)
    assert bus.emit("x") == 2
    assert errors == [(ZeroDivisionError, "x")]
    assert len(calls) == 1


def test_invalid_event_name():
    with pytest.raises(InvalidPattern):
        EventBus().emit("user.*")


def test_invalid_subscription_pattern():
    with pytest.raises(InvalidPattern):
        EventBus().on("a..b", print)
