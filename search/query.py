"""Reading what people type into the search box. Never raises, whatever the input.

Supported:
- plain words (all must match), folded: "dat dai" finds "đất đai";
- "quoted phrases";
- document numbers, symbols and codes as one unit: ``1234/QĐ-UBND``, ``15/2019/NĐ-CP``, ``QĐ-UBND``,
  ``H19.25.07.2024.08`` are phrases of their parts (the index separates them the same way);
- ``-word`` and ``-"a phrase"`` to exclude;
- field filters ``so:1234/QĐ-UBND`` (document number), ``nam:2019`` or ``nam:2015-2019`` (year),
  ``kho:dong-nai`` (archive slug or code); an unknown field or a value that cannot be read stays in
  the query as plain words.
Everything else (operators, brackets, ``*``, ``^``) is read as plain words, so that no input can reach
the backend's own query syntax.
"""

import re
from dataclasses import dataclass, field

from modelsearch.query import And, Or, Phrase, PlainText

from .folding import exact_words, fold, fold_for_index, has_marks
from .folding import words as folded_words

# Longer input is cut here: no archival query needs more, and FTS cost grows with the terms.
MAX_QUERY_LENGTH = 500
MAX_TERMS = 32

_CHUNK = re.compile(r'(-?)"([^"]*)"|(\S+)')
# A run of letters/digits joined by "/", "-" or "." : a document number, a symbol, a code.
_COMPOUND = re.compile(r"^\w+(?:[/.\-]\w+)+$")
_FIELD = re.compile(r"^(\w+):(.+)$")
_YEARS = re.compile(r"^([0-9]{3,4})(?:[-–]([0-9]{3,4}))?$")

FIELD_NAMES = {
    "so": "number",
    "number": "number",
    "nam": "year",
    "year": "year",
    "kho": "archive",
    "archive": "archive",
}


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    words: tuple = ()
    phrases: tuple = ()
    excluded: tuple = ()
    excluded_phrases: tuple = ()
    numbers: tuple = ()
    exact_terms: tuple = ()  # positive words as typed, marks kept, tone placement unified
    fields: dict = field(default_factory=dict)

    @property
    def is_empty(self):
        return not self.words and not self.phrases and not self.fields

    @property
    def has_terms(self):
        return bool(self.words or self.phrases)

    @property
    def highlight_terms(self):
        """The words to mark in snippets: every positive word, phrase words included."""
        terms = list(self.words)
        for phrase in self.phrases:
            terms.extend(phrase)
        return tuple(dict.fromkeys(terms))

    @property
    def typed_with_marks(self):
        return has_marks(self.text)

    def backend_query(self):
        """The positive part as a modelsearch query object (words ANDed, phrases kept whole)."""
        parts = []
        if self.words:
            parts.append(PlainText(" ".join(self.words), operator="and"))
        parts.extend(Phrase(" ".join(phrase)) for phrase in self.phrases)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(parts)

    def plain_words_query(self):
        """A fallback with phrases loosened into words, for backends that reject a phrase."""
        words = self.highlight_terms
        return PlainText(" ".join(words), operator="and") if words else None

    def excluded_query(self):
        parts = []
        if self.excluded:
            parts.append(PlainText(" ".join(self.excluded), operator="or"))
        parts.extend(Phrase(" ".join(phrase)) for phrase in self.excluded_phrases)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Or(parts)

    @property
    def has_exclusions(self):
        return bool(self.excluded or self.excluded_phrases)

    def matches_text(self, *texts):
        """Whether every positive word and phrase occurs in ``texts`` (case and accents ignored)."""
        tokens = [folded_words(text) for text in texts if text]
        words = {token for field_tokens in tokens for token in field_tokens}
        if any(word not in words for word in self.words):
            return False
        return all(_in_any(tokens, phrase) for phrase in self.phrases)

    def mentions_excluded(self, *texts):
        tokens = [folded_words(text) for text in texts if text]
        words = {token for field_tokens in tokens for token in field_tokens}
        if any(word in words for word in self.excluded):
            return True
        return any(_in_any(tokens, phrase) for phrase in self.excluded_phrases)


def parse(text):
    """Split ``text`` into words, phrases, exclusions and field filters; any input gives a ParsedQuery."""
    text = (text or "").replace("\x00", " ")[:MAX_QUERY_LENGTH]
    words, phrases, excluded, excluded_phrases, numbers, exact, fields = [], [], [], [], [], [], {}
    for negated, phrase, chunk in _CHUNK.findall(text):
        if chunk:
            negated = chunk.startswith("-") and len(chunk) > 1
            chunk = chunk[1:] if negated else chunk
            if not negated and _read_field(chunk, fields):
                continue
        source = phrase if phrase else chunk
        tokens = folded_words(source)
        if not tokens:
            continue
        is_compound = not phrase and bool(_COMPOUND.match(chunk.strip(".,;")))
        if is_compound:
            numbers.append(chunk.strip(".,;"))
        if negated:
            if len(tokens) > 1 and (phrase or is_compound):
                excluded_phrases.append(tuple(tokens))
            else:
                excluded.extend(tokens)
            continue
        exact.extend(exact_words(source))
        if len(tokens) > 1 and (phrase or is_compound):
            phrases.append(tuple(tokens))
        else:
            words.extend(tokens)
    return ParsedQuery(
        text=text.strip(),
        words=tuple(dict.fromkeys(words))[:MAX_TERMS],
        phrases=tuple(dict.fromkeys(phrases))[:MAX_TERMS],
        excluded=tuple(dict.fromkeys(excluded))[:MAX_TERMS],
        excluded_phrases=tuple(dict.fromkeys(excluded_phrases))[:MAX_TERMS],
        numbers=tuple(dict.fromkeys(numbers))[:MAX_TERMS],
        exact_terms=tuple(dict.fromkeys(exact))[:MAX_TERMS],
        fields=fields,
    )


def _read_field(chunk, fields):
    """Read ``name:value`` into ``fields``; False when it is not a field filter (then it is words)."""
    match = _FIELD.match(chunk)
    if not match:
        return False
    name = FIELD_NAMES.get(fold(match.group(1)))
    value = match.group(2).strip()
    if name is None or not value:
        return False
    if name == "year":
        years = _YEARS.match(value)
        if not years:
            return False
        start = int(years.group(1))
        end = int(years.group(2) or start)
        fields["year"] = (min(start, end), max(start, end))
        return True
    if name == "number":
        if not fold_for_index(value):
            return False
        fields["number"] = value
        return True
    fields["archive"] = value
    return True


def tokenize(text):
    return folded_words(text)


def _in_any(fields_tokens, phrase):
    return any(_contains(field_tokens, list(phrase)) for field_tokens in fields_tokens)


def _contains(tokens, sequence):
    size = len(sequence)
    return any(tokens[index : index + size] == sequence for index in range(len(tokens) - size + 1))


__all__ = ["MAX_QUERY_LENGTH", "ParsedQuery", "fold", "parse", "tokenize"]
