"""The :class:`ArgParser`."""

from .errors import HelpRequested, UsageError
from .help import format_help
from .spec import Flag, Option, Positional


class Namespace:
    """Parsed values, available as attributes and via ``vars()``."""

    def __init__(self, **values):
        self.__dict__.update(values)

    def __eq__(self, other):
        return isinstance(other, Namespace) and vars(self) == vars(other)

    def __repr__(self):
        inner = ", ".join(f"{k}={v!r}" for k, v in sorted(vars(self).items()))
        return f"Namespace({inner})"


class ArgParser:
    """Declarative command-line parser.

    Declare arguments with :meth:`option`, :meth:`flag` and
    :meth:`positional`, then call :meth:`parse`.
    """

    def __init__(self, prog, description=""):
        self.prog = prog
        self.description = description
        self.options = []
        self.flags = []
        self.positionals = []
        self._by_switch = {}

    # -- declaration ---------------------------------------------------------
    def _register(self, spec):
        switches = [spec.long] + ([spec.short] if spec.short else [])
        for switch in switches:
            if switch in self._by_switch or switch in ("-h", "--help"):
                raise ValueError(f"duplicate switch {switch}")
            self._by_switch[switch] = spec
        return spec

    def option(self, name, **kwargs):
        """Declare ``--name VALUE``; see :class:`~argkit.spec.Option`."""
        spec = Option(name, **kwargs)
        self.options.append(spec)
        return self._register(spec)

    def flag(self, name, **kwargs):
        """Declare a boolean ``--name`` switch."""
        spec = Flag(name, **kwargs)
        self.flags.append(spec)
        return self._register(spec)

    def positional(self, name, **kwargs):
        """Declare a required positional argument."""
        spec = Positional(name, **kwargs)
        self.positionals.append(spec)
        return spec

    def format_help(self):
        return format_help(self)

    # -- parsing -------------------------------------------------------------
    def _tokens(self, argv):
        """Yield ``(switch, inline_value)`` or ``(None, positional)`` pairs."""
        only_positionals = False
        for arg in argv:
            if only_positionals or arg == "-" or not arg.startswith("-"):
                yield None, arg
            elif arg == "--":
                only_positionals = True
            elif arg.startswith("--") and "=" in arg:
                switch, _, value = arg.partition("=")
                yield switch, value
            else:
                yield arg, None

    def parse(self, argv):
        """Parse the list of strings *argv* and return a :class:`Namespace`."""
        raw = {}          # dest -> list of raw strings (options)
        flags = set()     # dests of flags that were given
        positionals = []
        tokens = self._tokens(list(argv))
        for switch, value in tokens:
            if switch is None:
                positionals.append(value)
                continue
            if switch in ("-h", "--help"):
                raise HelpRequested(format_help(self))
            spec = self._by_switch.get(switch)
            if spec is None:
                raise UsageError(f"unknown option {switch}")
            if isinstance(spec, Flag):
                if value is not None:
                    raise UsageError(f"flag {spec.long} does not take a value")
                flags.add(spec.dest)
                continue
            if value is None:
                nxt = next(tokens, None)
                if nxt is None or nxt[0] is not None:
                    raise UsageError(f"option {switch} requires a value")
                value = nxt[1]
            raw.setdefault(spec.dest, []).append(value)

        result = {}
        for spec in self.options:
            values = raw.get(spec.dest)
            if not values:
                if spec.required:
                    raise UsageError(f"missing required option {spec.long}")
                result[spec.dest] = list(spec.default or []) if spec.multiple else spec.default
                continue
            if not spec.multiple and len(values) > 1:
                raise UsageError(f"option {spec.long} given more than once")
            converted = [spec.convert(v) for v in values]
            result[spec.dest] = converted if spec.multiple else converted[0]
        for spec in self.flags:
            result[spec.dest] = spec.dest in flags

        if len(positionals) < len(self.positionals):
            missing = self.positionals[len(positionals)].name
            raise UsageError(f"missing argument {missing}")
        if len(positionals) > len(self.positionals):
            raise UsageError(f"unexpected argument {positionals[len(self.positionals)]!r}")
        for spec, value in zip(self.positionals, positionals):
            try:
                result[spec.dest] = spec.type(value)
            except (TypeError, ValueError):
                raise UsageError(f"invalid value for {spec.name}: {value!r}") from None
        return Namespace(**result)
