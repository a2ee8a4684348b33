"""The :func:`tabulate` entry point."""

from .align import display_width, pad
from .formats import FORMATS
from .infer import column_type


def _normalize(rows, headers):
    """Turn dict rows into lists and resolve ``headers="keys"``."""
    rows = list(rows)
    if rows and isinstance(rows[0], dict):
        keys = list(rows[0])
        for row in rows[1:]:
            keys.extend(k for k in row if k not in keys)
        rows = [[row.get(k) for k in keys] for row in rows]
        if headers == "keys":
            headers = keys
    elif headers == "keys":
        raise ValueError('headers="keys" requires dict rows')
    width = max([len(headers)] + [len(r) for r in rows]) if (rows or headers) else 0
    rows = [list(r) + [None] * (width - len(r)) for r in rows]
    headers = [str(h) for h in headers] + [""] * (width - len(headers)) if headers else []
    return rows, headers, width


def _format_cell(value, ctype, floatfmt, missing):
    if value is None:
        return missing
    if ctype is float:
        return format(float(value), floatfmt)
    if ctype is int:
        return str(int(value))
    return str(value)


def _rule(spec, widths, markers=None):
    left, fill, cross, right = spec
    parts = []
    for i, w in enumerate(widths):
        if markers and markers[i] == "right":
            parts.append(fill * (w - 1) + ":")
        elif markers and markers[i] == "center":
            parts.append(":" + fill * (w - 2) + ":")
        else:
            parts.append(fill * w)
    return left + cross.join(parts) + right


def tabulate(rows, headers=(), fmt="plain", floatfmt=".2f", missing="", colalign=None):
    """Render *rows* as a table and return it as a string.

    See the README for how column types and alignment are chosen.
    """
    try:
        style = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose from {sorted(FORMATS)}") from None
    rows, headers, ncols = _normalize(rows, headers)
    types = [column_type([row[i] for row in rows]) for i in range(ncols)]
    cells = [
        [_format_cell(row[i], types[i], floatfmt, missing) for i in range(ncols)]
        for row in rows
    ]
    aligns = list(colalign) if colalign else ["right" if t in (int, float) else "left" for t in types]
    widths = [
        max([display_width(c[i]) for c in cells] + [display_width(headers[i]) if headers else 0])
        for i in range(ncols)
    ]
    if style.align_markers:
        widths = [max(w, 3) for w in widths]

    def line(values):
        body = style.sep.join(pad(v, w, a) for v, w, a in zip(values, widths, aligns))
        text = style.border[0] + body + style.border[1]
        return text if style.border[1] else text.rstrip()

    out = []
    if style.top_line:
        out.append(_rule(style.top_line, widths))
    if headers:
        out.append(line(headers))
        if style.header_line:
            out.append(_rule(style.header_line, widths, aligns if style.align_markers else None))
    for i, row in enumerate(cells):
        if i and style.row_line:
            out.append(_rule(style.row_line, widths))
        out.append(line(row))
    if style.bottom_line:
        out.append(_rule(style.bottom_line, widths))
    return "\n".join(out)
