"""The :class:`Config` object: section lookup, defaults and typed getters."""

from .errors import MissingOptionError
from .parser import DEFAULT_SECTION

_MISSING = object()

BOOLEAN_STATES = {
    "1": True, "yes": True, "true": True, "on": True,
    "0": False, "no": False, "false": False, "off": False,
}


class Config:
    """Parsed configuration.

    Values from the ``DEFAULT`` section are visible from every section unless
    the section overrides them.
    """

    def __init__(self, data):
        self._data = {name: dict(values) for name, values in data.items()}
        self._data.setdefault(DEFAULT_SECTION, {})

    # -- structure -------------------------------------------------------
    def sections(self):
        """Return the section names in file order, without ``DEFAULT``."""
        return [name for name in self._data if name != DEFAULT_SECTION]

    def has_section(self, section):
        return section in self._data and section != DEFAULT_SECTION

    def options(self, section):
        """Return the option names visible in *section* (including defaults)."""
        if section not in self._data:
            raise MissingOptionError(section, "*")
        merged = dict(self._data[DEFAULT_SECTION])
        merged.update(self._data[section])
        return list(merged)

    def items(self, section):
        return [(key, self.get(section, key)) for key in self.options(section)]

    def as_dict(self):
        """Return ``{section: {key: value}}`` with defaults merged in."""
        return {name: dict(self.items(name)) for name in self.sections()}

    # -- getters ---------------------------------------------------------
    def _raw(self, section, option, fallback):
        option = option.lower()
        values = self._data.get(section)
        if values is not None and option in values:
            return values[option]
        if values is not None and option in self._data[DEFAULT_SECTION]:
            return self._data[DEFAULT_SECTION][option]
        if fallback is not _MISSING:
            return fallback
        raise MissingOptionError(section, option)

    def get(self, section, option, fallback=_MISSING):
        """Return the raw string value of *option* in *section*."""
        return self._raw(section, option, fallback)

    def getint(self, section, option, fallback=_MISSING):
        value = self._raw(section, option, fallback)
        return value if value is fallback else int(value)

    def getfloat(self, section, option, fallback=_MISSING):
        value = self._raw(section, option, fallback)
        return value if value is fallback else float(value)

    def getboolean(self, section, option, fallback=_MISSING):
        value = self._raw(section, option, fallback)
        if value is fallback:
            return value
        try:
            return BOOLEAN_STATES[value.strip().lower()]
        except KeyError:
            raise ValueError(f"not a boolean: {value!r}") from None

    def getlist(self, section, option, fallback=_MISSING, sep=","):
        """Split the value on *sep* and return the non-empty, stripped items."""
        value = self._raw(section, option, fallback)
        if value is fallback:
            return value
        return [item.strip() for item in value.replace("\n", sep).split(sep) if item.strip()]

    def __contains__(self, section):
        return self.has_section(section)

    def __repr__(self):
        return f"<Config sections={self.sections()!r}>"
