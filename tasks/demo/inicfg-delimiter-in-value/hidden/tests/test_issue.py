"""Regression tests: values that themselves contain ':' or '='."""

import inicfg


def test_url_value_with_equals_delimiter():
    cfg = inicfg.loads("[remote]\nurl = https://example.com:8443/path\n")
    assert cfg.options("remote") == ["url"]
    assert cfg.get("remote", "url") == "https://example.com:8443/path"


def test_equals_in_value_with_colon_delimiter():
    cfg = inicfg.loads("[db]\noptions: sslmode=require\n")
    assert cfg.get("db", "options") == "sslmode=require"


def test_dsn_with_both_delimiters_in_value():
    cfg = inicfg.loads("[db]\ndsn = postgres://app:secret@db/main?timeout=5\n")
    assert cfg.get("db", "dsn") == "postgres://app:secret@db/main?timeout=5"


def test_time_value():
    cfg = inicfg.loads("[cron]\nstart = 12:30\n")
    assert cfg.get("cron", "start") == "12:30"
    assert cfg.get("cron", "start", fallback=None) == "12:30"
