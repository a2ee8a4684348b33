"""Range expressions: comparators, caret, tilde, wildcards and ``||``."""

import operator
import re

from .errors import InvalidRange, InvalidVersion
from .version import Version

_OPS = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "=": operator.eq,
}
_PARTIAL_RE = re.compile(r"^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(-[0-9A-Za-z.-]+)?$")


def _partial(text):
    """Parse a possibly partial version; return (numbers, prerelease_suffix)."""
    match = _PARTIAL_RE.match(text)
    if not match:
        raise InvalidRange(f"invalid version in range: {text!r}")
    numbers = []
    for group in match.groups()[:3]:
        if group is None or group in "xX*":
            break
        numbers.append(int(group))
    return numbers, match.group(4) or ""


def _full(numbers, suffix=""):
    padded = list(numbers) + [0] * (3 - len(numbers))
    return Version.parse("{}.{}.{}".format(*padded) + suffix)


def _expand(token):
    """Translate one range token into a list of ``(op, Version)`` comparators."""
    if token in ("*", "x", "X", ""):
        return []
    if token[0] == "^":
        nums, suffix = _partial(token[1:])
        low = _full(nums, suffix)
        if not nums:
            return []
        if nums[0] > 0 or len(nums) == 1:
            high = Version(nums[0] + 1)
        elif len(nums) == 2 or nums[1] > 0:
            high = Version(0, nums[1] + 1)
        else:
            high = Version(0, 0, nums[2] + 1)
        return [(">=", low), ("<", high)]
    if token[0] == "~":
        nums, suffix = _partial(token[1:])
        if not nums:
            return []
        low = _full(nums, suffix)
        high = Version(nums[0] + 1) if len(nums) == 1 else Version(nums[0], nums[1] + 1)
        return [(">=", low), ("<", high)]
    for op in (">=", "<=", ">", "<", "="):
        if token.startswith(op):
            nums, suffix = _partial(token[len(op):])
            return [(op, _full(nums, suffix))]
    nums, suffix = _partial(token)
    if len(nums) == 3:
        return [("=", _full(nums, suffix))]
    if not nums:
        return []
    high = Version(nums[0] + 1) if len(nums) == 1 else Version(nums[0], nums[1] + 1)
    return [(">=", _full(nums)), ("<", high)]


class Range:
    """A set of versions described by a range expression.

    Pre-release versions only satisfy a comparator set if one of its
    comparators names a pre-release of the same ``major.minor.patch``.
    """

    def __init__(self, expression):
        self.expression = expression
        self._alternatives = []
        for alternative in expression.split("||"):
            tokens = alternative.split()
            comparators = []
            for token in tokens:
                comparators.extend(_expand(token))
            self._alternatives.append(comparators)

    def _allows_prerelease(self, comparators, version):
        return any(
            v.prerelease and v.release() == version.release() for _, v in comparators
        )

    def contains(self, version):
        """Return ``True`` if *version* (str or :class:`Version`) is in the range."""
        try:
            version = Version.parse(version)
        except InvalidVersion:
            return False
        for comparators in self._alternatives:
            if version.prerelease and not self._allows_prerelease(comparators, version):
                continue
            if all(_OPS[op](version, bound) for op, bound in comparators):
                return True
        return False

    __contains__ = contains

    def __repr__(self):
        return f"Range({self.expression!r})"


def _satisfying(versions, expression):
    rng = expression if isinstance(expression, Range) else Range(expression)
    return [Version.parse(v) for v in versions if rng.contains(v)]


def max_satisfying(versions, expression):
    """Return the highest version in *versions* that is in the range, or ``None``."""
    matches = _satisfying(versions, expression)
    return max(matches) if matches else None


def min_satisfying(versions, expression):
    """Return the lowest version in *versions* that is in the range, or ``None``."""
    matches = _satisfying(versions, expression)
    return min(matches) if matches else None
