from argkit import ArgParser, format_usage


def make_parser():
    parser = ArgParser("serve", description="Run the development server.")
    parser.option("port", type=int, default=8080, short="-p", help="Port to listen on")
    parser.option("token", required=True, help="API token")
    parser.option("include", multiple=True, help="Extra paths")
    parser.flag("reload", help="Restart on code changes")
    parser.positional("app", help="Application module")
    return parser


def test_usage_line():
    assert format_usage(make_parser()) == (
        "usage: serve [--port PORT] --token TOKEN [--include INCLUDE] [--reload] app"
    )


def test_full_help():
    assert make_parser().format_help() == "\n".join(
        [
            "usage: serve [--port PORT] --token TOKEN [--include INCLUDE] [--reload] app",
            "",
            "Run the development server.",
            "",
            "arguments:",
            "  app                       Application module",
            "",
            "options:",
            "  -h, --help                Show this message and exit",
            "  -p, --port PORT           Port to listen on (default: 8080)",
            "      --token TOKEN         API token (required)",
            "      --include INCLUDE     Extra paths (repeatable)",
            "      --reload              Restart on code changes",
        ]
    )


def test_choices_metavar_and_long_switch_wraps():
    parser = ArgParser("x")
    parser.option("log-level", choices=["debug", "info"], default="info", help="Verbosity")
    lines = parser.format_help().splitlines()
    assert lines[-2] == "      --log-level {debug,info}"
    assert lines[-1] == " " * 28 + "Verbosity (default: info)"


def test_custom_metavar():
    parser = ArgParser("x")
    parser.option("output", metavar="FILE", help="Where to write")
    assert parser.format_help().splitlines()[-1] == "      --output FILE         Where to write"


def test_option_without_help():
    parser = ArgParser("x")
    parser.option("name")
    assert parser.format_help().splitlines()[-1] == "      --name NAME"
