"""Inline markup: code spans, emphasis, links, escapes and line breaks."""

import re

from .html import escape

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_HARD_BREAK = re.compile(r"(?: {2,}|\\)\n")
_BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_STRONG = re.compile(r"\*\*(.+?)\*\*|(?<!\w)__(.+?)__(?!\w)", re.S)
_EMPHASIS = re.compile(r"\*(.+?)\*|(?<!\w)_(.+?)_(?!\w)", re.S)
_SOFT_BREAK_SPACES = re.compile(r"[ \t]+\n")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")


def render_inline(text):
    """Render the inline markup in *text* (a paragraph or heading) to HTML.

    Code spans and backslash escapes are protected first so that their
    contents are never interpreted as emphasis or links.
    """
    stash = []

    def protect(html):
        stash.append(html)
        return f"\x00{len(stash) - 1}\x00"

    text = _CODE_SPAN.sub(lambda m: protect(f"<code>{escape(m.group(2).strip())}</code>"), text)
    text = _HARD_BREAK.sub(lambda m: protect("<br />") + "\n", text)
    text = _BACKSLASH_ESCAPE.sub(lambda m: protect(escape(m.group(1))), text)
    text = escape(text)
    text = _LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', text)
    text = _STRONG.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", text)
    text = _EMPHASIS.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", text)
    text = _SOFT_BREAK_SPACES.sub("\n", text)
    return _PLACEHOLDER.sub(lambda m: stash[int(m.group(1))], text)
