"""Exceptions."""


class ArgkitError(Exception):
    """Base class for argkit exceptions."""


class UsageError(ArgkitError):
    """The command line is invalid; the message is meant for the user."""


class HelpRequested(ArgkitError):
    """``-h``/``--help`` was given; ``text`` holds the formatted help."""

    def __init__(self, text):
        super().__init__("help requested")
        self.text = text
