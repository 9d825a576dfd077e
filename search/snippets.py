"""Snippets: a short, escaped excerpt of the field that matched, with ``<mark>`` around each hit.

No Wagtail backend highlights, so the excerpt is cut here. The caller decides which fields a user
may see; content fields (OCR text, full text) are passed only when the user may read the content.
"""

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import mark_safe

from .query import fold

SNIPPET_LENGTH = 240
_SPACES = re.compile(r"\s+")


def build_snippet(sources, terms, length=SNIPPET_LENGTH):
    """The excerpt of the first source text in which a term occurs, or of the first text at all.

    ``sources`` is a sequence of texts, in order of preference (title first, content last).
    """
    texts = [unicodedata.normalize("NFC", text) for text in sources if text]
    if not texts:
        return ""
    pattern = _terms_pattern(terms)
    for text in texts:
        folded = fold(text)
        match = pattern.search(folded) if pattern else None
        if match:
            return _excerpt(text, folded, pattern, match.start(), length)
    return _excerpt(texts[0], fold(texts[0]), pattern, 0, length)


def _terms_pattern(terms):
    folded = sorted({fold(term) for term in terms if term}, key=len, reverse=True)
    if not folded:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(term) for term in folded) + r")(?!\w)")


def _excerpt(text, folded, pattern, hit, length):
    start = max(0, hit - length // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < hit else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > hit else end
    pieces = ["…" if start else ""]
    cursor = start
    for match in pattern.finditer(folded, start, end) if pattern else ():
        pieces.append(escape(text[cursor : match.start()]))
        pieces.append(f"<mark>{escape(text[match.start() : match.end()])}</mark>")
        cursor = match.end()
    pieces.append(escape(text[cursor:end]))
    pieces.append("…" if end < len(text) else "")
    return mark_safe(_SPACES.sub(" ", "".join(pieces)).strip())  # noqa: S308 - every piece is escaped above
