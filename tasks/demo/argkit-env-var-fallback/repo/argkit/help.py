"""Usage and help text."""

HELP_COLUMN = 28


def _switches(spec):
    """Left column for an option or flag: ``-p, --port PORT``."""
    metavar = getattr(spec, "display_metavar", None)
    names = f"{spec.short}, {spec.long}" if spec.short else f"    {spec.long}"
    return f"{names} {metavar}" if metavar else names


def _describe(spec):
    """Right column: the help text plus default / required annotations."""
    parts = [spec.help] if spec.help else []
    if getattr(spec, "required", False):
        parts.append("(required)")
    elif getattr(spec, "default", None) not in (None, False, [], ()):
        parts.append(f"(default: {spec.default})")
    if getattr(spec, "multiple", False):
        parts.append("(repeatable)")
    return " ".join(parts)


def _row(left, right):
    left = "  " + left
    if not right:
        return left
    if len(left) >= HELP_COLUMN:
        return left + "\n" + " " * HELP_COLUMN + right
    return left.ljust(HELP_COLUMN) + right


def format_usage(parser):
    """One-line usage summary."""
    parts = [f"usage: {parser.prog}"]
    for spec in parser.options:
        text = f"{spec.long} {spec.display_metavar}"
        parts.append(text if spec.required else f"[{text}]")
    for spec in parser.flags:
        parts.append(f"[{spec.long}]")
    parts.extend(spec.name for spec in parser.positionals)
    return " ".join(parts)


def format_help(parser):
    """Full help text: usage, description, arguments and options."""
    lines = [format_usage(parser)]
    if parser.description:
        lines += ["", parser.description]
    if parser.positionals:
        lines += ["", "arguments:"]
        lines += [_row(spec.name, spec.help) for spec in parser.positionals]
    lines += ["", "options:", _row("-h, --help", "Show this message and exit")]
    for spec in parser.options + parser.flags:
        lines.append(_row(_switches(spec), _describe(spec)))
    return "\n".join(lines)
