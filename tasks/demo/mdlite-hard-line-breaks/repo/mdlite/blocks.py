"""Group classified lines into blocks and render them as HTML."""

from .html import escape
from .inline import render_inline
from .lexer import tokenize

_LIST_TAGS = {"bullet": "ul", "ordered": "ol"}


def _take(lines, start, kinds):
    """Return the index after the run of lines starting at *start* whose kind is in *kinds*."""
    end = start
    while end < len(lines) and lines[end].kind in kinds:
        end += 1
    return end


def _render_list(items, kind):
    tag = _LIST_TAGS[kind]
    start = ""
    if kind == "ordered" and items[0].level != 1:
        start = f' start="{items[0].level}"'
    body = "\n".join(f"<li>{render_inline(item.text.strip())}</li>" for item in items)
    return f"<{tag}{start}>\n{body}\n</{tag}>"


def _render_code(lines, start):
    """Render a fenced block opened at *start*; return ``(html, next_index)``."""
    language = lines[start].text
    end = _take(lines, start + 1, {"code"})
    code = "".join(escape(line.text) + "\n" for line in lines[start + 1:end])
    attr = f' class="language-{language}"' if language else ""
    # skip the closing fence if there is one
    return f"<pre><code{attr}>{code}</code></pre>", min(end + 1, len(lines))


def render_lines(lines):
    """Render a list of :class:`~mdlite.lexer.Line` objects to HTML."""
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        kind = line.kind
        if kind == "blank":
            i += 1
        elif kind == "heading":
            out.append(f"<h{line.level}>{render_inline(line.text.strip())}</h{line.level}>")
            i += 1
        elif kind == "rule":
            out.append("<hr />")
            i += 1
        elif kind == "fence":
            html, i = _render_code(lines, i)
            out.append(html)
        elif kind in _LIST_TAGS:
            end = _take(lines, i, {kind})
            out.append(_render_list(lines[i:end], kind))
            i = end
        elif kind == "quote":
            end = _take(lines, i, {"quote"})
            inner = tokenize("\n".join(q.text for q in lines[i:end]))
            out.append(f"<blockquote>\n{render_lines(inner)}\n</blockquote>")
            i = end
        else:
            end = _take(lines, i, {"text"})
            paragraph = "\n".join(p.text for p in lines[i:end]).strip()
            out.append(f"<p>{render_inline(paragraph)}</p>")
            i = end
    return "\n".join(out)
