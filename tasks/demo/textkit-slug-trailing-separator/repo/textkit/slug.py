"""URL slugs."""

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def _ascii(text):
    """Transliterate *text* to ASCII by stripping accents; drop the rest."""
    normalized = unicodedata.normalize("NFKD", text)
    return normalized.encode("ascii", "ignore").decode("ascii")


def slugify(text, sep="-", max_length=None, lowercase=True):
    """Return a URL-friendly slug for *text*.

    Runs of characters that are not ASCII letters or digits become a single
    *sep*; the result never starts or ends with *sep*. If *max_length* is
    given, the slug is shortened to at most that many characters, preferably
    at a separator boundary.
    """
    if not sep:
        raise ValueError("sep must be a non-empty string")
    slug = _ascii(text)
    if lowercase:
        slug = slug.lower()
    slug = _NON_ALNUM.sub(sep, slug).lstrip(sep)
    if max_length is not None and len(slug) > max_length:
        cut = slug[:max_length]
        boundary = cut.rfind(sep)
        if boundary > 0 and slug[max_length:max_length + len(sep)] != sep:
            cut = cut[:boundary]
        slug = cut.strip(sep)
    return slug


def unique_slug(text, existing, sep="-", **kwargs):
    """Return a slug for *text* that is not in *existing*.

    ``-2``, ``-3``, ... is appended until the slug is unique.
    """
    base = slugify(text, sep=sep, **kwargs)
    candidate = base
    counter = 2
    while candidate in existing:
        candidate = f"{base}{sep}{counter}"
        counter += 1
    return candidate
