"""textkit - small text helpers."""

from .case import split_words, to_camel, to_kebab, to_pascal, to_snake
from .slug import slugify, unique_slug
from .wrap import truncate, wrap

__all__ = [
    "slugify",
    "split_words",
    "to_camel",
    "to_kebab",
    "to_pascal",
    "to_snake",
    "truncate",
    "unique_slug",
    "wrap",
]
