"""Table format definitions."""

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class TableFormat:
    """How to draw a table.

    ``border`` is the pair of strings drawn at the start and end of each row,
    ``sep`` sits between cells, and the ``*_line`` attributes describe
    horizontal rules as ``(left, fill, cross, right)`` or ``None``.
    """

    border: tuple
    sep: str
    top_line: Optional[tuple]
    header_line: Optional[tuple]
    row_line: Optional[tuple]
    bottom_line: Optional[tuple]
    align_markers: bool = False


FORMATS = {
    "plain": TableFormat(("", ""), "  ", None, ("", "-", "  ", ""), None, None),
    "grid": TableFormat(
        ("| ", " |"),
        " | ",
        ("+-", "-", "-+-", "-+"),
        ("+=", "=", "=+=", "=+"),
        ("+-", "-", "-+-", "-+"),
        ("+-", "-", "-+-", "-+"),
    ),
    "markdown": TableFormat(("| ", " |"), " | ", None, ("| ", "-", " | ", " |"), None, None, True),
}
