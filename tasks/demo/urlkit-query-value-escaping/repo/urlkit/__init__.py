"""urlkit - immutable URLs and query strings."""

from .encoding import quote, unquote
from .query import QueryParams, encode_query, parse_query
from .url import URL

__all__ = ["QueryParams", "URL", "encode_query", "parse_query", "quote", "unquote"]
