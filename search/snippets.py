"""Snippets: a short, escaped excerpt of the field that matched, with ``<mark>`` around each hit.

No Wagtail backend highlights, so the excerpt is cut here. The caller decides which fields a user
may see; content fields (OCR text, full text) are passed only when the user may read the content.
"""

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import mark_safe

from .folding import fold

SNIPPET_LENGTH = 240
_SPACES = re.compile(r"\s+")


def build_snippet(sources, terms, length=SNIPPET_LENGTH, with_source=False):
    """The excerpt of the first source text in which a term occurs, or of the first text at all.

    ``sources`` is a sequence of texts, in order of preference (title first, content last). With
    ``with_source``, returns ``(snippet, index of the source that matched or None)``.
    """
    pattern = _terms_pattern(terms)
    first = None
    for index, source in enumerate(sources):
        if not source:
            continue
        text = unicodedata.normalize("NFC", source)
        first = first if first is not None else text
        folded = fold(text)
        match = pattern.search(folded) if pattern else None
        if match:
            snippet = _excerpt(text, folded, pattern, match.start(), length)
            return (snippet, index) if with_source else snippet
    snippet = _excerpt(first, fold(first), pattern, 0, length) if first is not None else ""
    return (snippet, None) if with_source else snippet


def ocr_page_number(record, terms):
    """The number (1-based, across the record's scans) of the first scanned page where a term occurs."""
    from collections_app.ingest.text import record_pages

    pattern = _terms_pattern(terms)
    if pattern is None:
        return None
    for number, text in enumerate(record_pages(record).values_list("text", flat=True).iterator(), start=1):
        if text and pattern.search(fold(text)):
            return number
    return None


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
