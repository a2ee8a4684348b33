"""Regression tests: patterns must match the whole event name."""

from eventbus import EventBus, matches


def test_single_star_does_not_match_deeper_events():
    assert not matches("user.*", "user.profile.updated")


def test_literal_does_not_match_longer_names():
    assert not matches("order", "orders")
    assert not matches("order", "order.created")
    assert not matches("user.created", "user.created_at")


def test_wildcard_handler_not_called_for_deeper_event():
    bus = EventBus()
    seen = []
    bus.on("user.*", lambda e: seen.append(e.name))
    bus.emit("user.created")
    bus.emit("user.profile.updated")
    assert seen == ["user.created"]


def test_literal_handler_not_called_for_prefixed_event():
    bus = EventBus()
    seen = []
    bus.on("order", lambda e: seen.append(e.name))
    assert bus.emit("orders.created") == 0
    assert bus.emit("order") == 1
    assert seen == ["order"]


def test_listeners_only_exact_matches():
    bus = EventBus()
    bus.on("job.*", print)
    bus.on("job.**", repr)
    assert bus.listeners("job.step.done") == [repr]


def test_once_not_consumed_by_non_matching_event():
    bus = EventBus()
    calls = []
    bus.once("job.*", lambda e: calls.append(e.name))
    assert bus.emit("job.step.done") == 0
    assert bus.emit("job.done") == 1
    assert calls == ["job.done"]
