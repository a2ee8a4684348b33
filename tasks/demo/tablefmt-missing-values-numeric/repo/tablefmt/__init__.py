"""tablefmt - render rows as text tables."""

from .align import display_width, pad
from .formats import FORMATS, TableFormat
from .infer import column_type, value_type
from .render import tabulate

__all__ = [
    "FORMATS",
    "TableFormat",
    "column_type",
    "display_width",
    "pad",
    "tabulate",
    "value_type",
]
