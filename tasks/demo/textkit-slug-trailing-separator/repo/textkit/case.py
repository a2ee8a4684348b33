"""Identifier case conversion."""

import re

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|[A-Z]+|\d+")


def split_words(text):
    """Split an identifier in any common style into its words.

    >>> split_words("HTTPServerError")
    ['HTTP', 'Server', 'Error']
    >>> split_words("user_id-value")
    ['user', 'id', 'value']
    """
    return _WORD.findall(text)


def to_snake(text):
    """``"HTTPServerError"`` -> ``"http_server_error"``."""
    return "_".join(word.lower() for word in split_words(text))


def to_kebab(text):
    """``"userId"`` -> ``"user-id"``."""
    return "-".join(word.lower() for word in split_words(text))


def to_pascal(text):
    """``"user_id"`` -> ``"UserId"``."""
    return "".join(word.capitalize() for word in split_words(text))


def to_camel(text):
    """``"user_id"`` -> ``"userId"``."""
    pascal = to_pascal(text)
    return pascal[:1].lower() + pascal[1:]
