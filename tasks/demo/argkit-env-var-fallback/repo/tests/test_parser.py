import pytest

from argkit import ArgParser, HelpRequested, Namespace, UsageError


def make_parser():
    parser = ArgParser("serve", description="Run the development server.")
    parser.option("port", type=int, default=8080, short="-p", help="Port to listen on")
    parser.option("host", default="127.0.0.1", help="Interface to bind")
    parser.option("log-level", choices=["debug", "info", "warning"], default="info")
    parser.option("include", multiple=True, help="Extra paths")
    parser.flag("reload", help="Restart on code changes")
    parser.positional("app", help="Application module")
    return parser


def test_defaults():
    args = make_parser().parse(["myapp"])
    assert args == Namespace(
        port=8080, host="127.0.0.1", log_level="info", include=[], reload=False, app="myapp"
    )


def test_long_short_and_inline_values():
    args = make_parser().parse(["-p", "9000", "--host=0.0.0.0", "--log-level", "debug", "myapp"])
    assert (args.port, args.host, args.log_level) == (9000, "0.0.0.0", "debug")


def test_flag():
    assert make_parser().parse(["--reload", "x"]).reload is True


def test_multiple():
    args = make_parser().parse(["--include", "a", "--include=b", "x"])
    assert args.include == ["a", "b"]


def test_double_dash_ends_options():
    args = make_parser().parse(["--", "--reload"])
    assert args.app == "--reload"
    assert args.reload is False


def test_type_conversion_error():
    with pytest.raises(UsageError, match="invalid value for --port: 'abc'"):
        make_parser().parse(["--port", "abc", "x"])


def test_invalid_choice():
    with pytest.raises(UsageError, match="invalid choice for --log-level"):
        make_parser().parse(["--log-level", "loud", "x"])


def test_unknown_option():
    with pytest.raises(UsageError, match="unknown option --nope"):
        make_parser().parse(["--nope", "x"])


def test_missing_value():
    with pytest.raises(UsageError, match="requires a value"):
        make_parser().parse(["x", "--port"])
    with pytest.raises(UsageError, match="requires a value"):
        make_parser().parse(["--port", "--reload", "x"])


def test_flag_with_value_is_an_error():
    with pytest.raises(UsageError):
        make_parser().parse(["--reload=yes", "x"])


def test_repeated_single_option():
    with pytest.raises(UsageError, match="more than once"):
        make_parser().parse(["--port", "1", "--port", "2", "x"])


def test_required_option():
    parser = ArgParser("deploy")
    parser.option("token", required=True)
    with pytest.raises(UsageError, match="missing required option --token"):
        parser.parse([])
    assert parser.parse(["--token", "s3cret"]).token == "s3cret"


def test_positional_errors():
    parser = make_parser()
    with pytest.raises(UsageError, match="missing argument app"):
        parser.parse([])
    with pytest.raises(UsageError, match="unexpected argument 'extra'"):
        parser.parse(["app", "extra"])


def test_typed_positional():
    parser = ArgParser("sleep")
    parser.positional("seconds", type=float)
    assert parser.parse(["1.5"]).seconds == 1.5
    with pytest.raises(UsageError):
        parser.parse(["soon"])


def test_help_requested():
    with pytest.raises(HelpRequested) as info:
        make_parser().parse(["--help"])
    assert info.value.text.startswith("usage: serve")


def test_duplicate_switch_rejected():
    parser = ArgParser("x")
    parser.option("port", short="-p")
    with pytest.raises(ValueError):
        parser.flag("pretty", short="-p")
    with pytest.raises(ValueError):
        parser.flag("help")
