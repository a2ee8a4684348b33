"""Tests for environment-variable fallbacks (env=...)."""

import pytest

from argkit import ArgParser, UsageError


def make_parser():
    parser = ArgParser("serve")
    parser.option("port", type=int, default=8080, env="APP_PORT")
    parser.option("log-level", choices=["debug", "info"], default="info", env="APP_LEVEL")
    parser.option("include", multiple=True, env="APP_INCLUDE")
    parser.option("name", default="anon")
    parser.flag("reload", env="APP_RELOAD")
    return parser


def test_env_used_when_option_not_given():
    args = make_parser().parse([], env={"APP_PORT": "9000"})
    assert args.port == 9000


def test_command_line_beats_env():
    args = make_parser().parse(["--port", "7000"], env={"APP_PORT": "9000"})
    assert args.port == 7000


def test_default_when_env_missing_or_empty():
    assert make_parser().parse([], env={}).port == 8080
    assert make_parser().parse([], env={"APP_PORT": ""}).port == 8080


def test_options_without_env_ignore_environment():
    args = make_parser().parse([], env={"NAME": "x", "name": "y", "APP_NAME": "z"})
    assert args.name == "anon"


def test_env_defaults_to_os_environ(monkeypatch):
    monkeypatch.setenv("APP_PORT", "6000")
    monkeypatch.setenv("APP_RELOAD", "yes")
    args = make_parser().parse([])
    assert args.port == 6000
    assert args.reload is True


def test_invalid_env_value_names_the_variable():
    with pytest.raises(UsageError, match="invalid value for APP_PORT: 'abc'"):
        make_parser().parse([], env={"APP_PORT": "abc"})


def test_env_value_checked_against_choices():
    assert make_parser().parse([], env={"APP_LEVEL": "debug"}).log_level == "debug"
    with pytest.raises(UsageError, match="APP_LEVEL"):
        make_parser().parse([], env={"APP_LEVEL": "loud"})


def test_multiple_option_from_env_is_comma_separated():
    args = make_parser().parse([], env={"APP_INCLUDE": "a, b,,c "})
    assert args.include == ["a", "b", "c"]


def test_multiple_option_cli_replaces_env():
    args = make_parser().parse(["--include", "x"], env={"APP_INCLUDE": "a,b"})
    assert args.include == ["x"]


def test_required_option_satisfied_by_env():
    parser = ArgParser("deploy")
    parser.option("token", required=True, env="DEPLOY_TOKEN")
    assert parser.parse([], env={"DEPLOY_TOKEN": "s3cret"}).token == "s3cret"
    with pytest.raises(UsageError, match="missing required option --token"):
        parser.parse([], env={})


def test_flag_truthy_values():
    for value in ("1", "true", "TRUE", "yes", "on", " On "):
        assert make_parser().parse([], env={"APP_RELOAD": value}).reload is True, value


def test_flag_falsy_values():
    for value in ("0", "false", "no", "off", "OFF", ""):
        assert make_parser().parse([], env={"APP_RELOAD": value}).reload is False, value


def test_flag_on_command_line_beats_env():
    assert make_parser().parse(["--reload"], env={"APP_RELOAD": "0"}).reload is True


def test_invalid_flag_env_value():
    with pytest.raises(UsageError, match="APP_RELOAD"):
        make_parser().parse([], env={"APP_RELOAD": "maybe"})


def test_typed_env_value_for_float_option():
    parser = ArgParser("x")
    parser.option("ratio", type=float, default=1.0, env="X_RATIO")
    assert parser.parse([], env={"X_RATIO": "0.25"}).ratio == 0.25
