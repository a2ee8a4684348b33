"""The :class:`URL` type."""

import re

from .encoding import quote_segment
from .query import QueryParams, parse_query

_URL_RE = re.compile(
    r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):)?"
    r"(?://(?P<authority>[^/?#]*))?"
    r"(?P<path>[^?#]*)"
    r"(?:\?(?P<query>[^#]*))?"
    r"(?:#(?P<fragment>.*))?$"
)
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}


class URL:
    """An immutable URL.

    ``path`` and ``fragment`` are kept in their encoded form; the query is
    held decoded as :class:`QueryParams` and re-encoded on output.
    """

    __slots__ = ("scheme", "userinfo", "host", "port", "path", "query", "fragment")

    def __init__(self, scheme="", host="", path="", query=(), fragment="", port=None, userinfo=""):
        object.__setattr__(self, "scheme", scheme.lower())
        object.__setattr__(self, "userinfo", userinfo)
        object.__setattr__(self, "host", host.lower())
        object.__setattr__(self, "port", port)
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "query", QueryParams(query))
        object.__setattr__(self, "fragment", fragment)

    def __setattr__(self, name, value):
        raise AttributeError("URL objects are immutable")

    @classmethod
    def parse(cls, text):
        """Parse an absolute or relative URL string."""
        match = _URL_RE.match(text.strip())
        authority = match.group("authority") or ""
        userinfo, _, hostport = authority.rpartition("@")
        host, port = hostport, None
        if ":" in hostport and not hostport.endswith("]"):
            host, _, port_text = hostport.rpartition(":")
            if port_text:
                if not port_text.isdigit():
                    raise ValueError(f"invalid port in {text!r}")
                port = int(port_text)
        return cls(
            scheme=match.group("scheme") or "",
            host=host,
            path=match.group("path"),
            query=parse_query(match.group("query") or ""),
            fragment=match.group("fragment") or "",
            port=port,
            userinfo=userinfo,
        )

    def _replace(self, **changes):
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return URL(**fields)

    # -- derived ----------------------------------------------------------
    @property
    def netloc(self):
        text = self.host
        if self.port is not None and self.port != DEFAULT_PORTS.get(self.scheme):
            text += f":{self.port}"
        if self.userinfo:
            text = f"{self.userinfo}@{text}"
        return text

    @property
    def origin(self):
        return f"{self.scheme}://{self.netloc}" if self.scheme else self.netloc

    # -- modifiers ----------------------------------------------------------
    def with_query(self, **params):
        """Return a copy with each given parameter set to a single value."""
        query = self.query
        for key, value in params.items():
            query = query.set(key, value)
        return self._replace(query=query)

    def with_fragment(self, fragment):
        return self._replace(fragment=fragment)

    def without_query(self):
        return self._replace(query=())

    def join(self, *segments):
        """Append path *segments* (each is percent-encoded, ``/`` included)."""
        path = self.path.rstrip("/")
        for segment in segments:
            path += "/" + quote_segment(str(segment))
        return self._replace(path=path or "/")

    def __str__(self):
        text = ""
        if self.scheme:
            text += self.scheme + ":"
        if self.host or self.scheme:
            text += "//" + self.netloc
        text += self.path
        if len(self.query):
            text += "?" + str(self.query)
        if self.fragment:
            text += "#" + self.fragment
        return text

    def __eq__(self, other):
        if isinstance(other, URL):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self):
        return hash(str(self))

    def __repr__(self):
        return f"URL({str(self)!r})"
