"""Reading what people type into the search box. Never raises, whatever the input.

Supported: plain words (all must match), "quoted phrases", and -excluded words. Everything else
(operators, brackets, ``*``, ``^``, ``:``) is read as plain words, so that no input can reach the
backend's own query syntax.
"""

import re
import unicodedata
from dataclasses import dataclass

from modelsearch.query import And, Phrase, PlainText

# Longer input is cut here: no archival query needs more, and FTS cost grows with the terms.
MAX_QUERY_LENGTH = 500
MAX_TERMS = 32

_CHUNK = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    words: tuple = ()
    phrases: tuple = ()
    excluded: tuple = ()

    @property
    def is_empty(self):
        return not self.words and not self.phrases

    @property
    def highlight_terms(self):
        """The words to mark in snippets: every positive word, phrase words included."""
        terms = list(self.words)
        for phrase in self.phrases:
            terms.extend(phrase)
        return tuple(dict.fromkeys(terms))

    def backend_query(self):
        """The positive part as a modelsearch query object (words ANDed, phrases kept whole)."""
        parts = []
        if self.words:
            parts.append(PlainText(" ".join(self.words), operator="and"))
        parts.extend(Phrase(" ".join(phrase)) for phrase in self.phrases)
        return parts[0] if len(parts) == 1 else And(parts)

    def plain_words_query(self):
        """A fallback with phrases loosened into words, for backends that reject a phrase."""
        words = self.highlight_terms
        return PlainText(" ".join(words), operator="and") if words else None

    def excluded_query(self):
        return PlainText(" ".join(self.excluded), operator="or") if self.excluded else None

    def matches_text(self, *texts):
        """Whether every positive word and phrase occurs in ``texts`` (case and accents ignored)."""
        tokens = [tokenize(text) for text in texts if text]
        words = {token for field in tokens for token in field}
        if any(fold(word) not in words for word in self.words):
            return False
        return all(
            any(_contains(field, [fold(w) for w in phrase]) for field in tokens) for phrase in self.phrases
        )

    def mentions_excluded(self, *texts):
        words = {token for text in texts if text for token in tokenize(text)}
        return any(fold(word) in words for word in self.excluded)


def parse(text):
    """Split ``text`` into words, phrases and exclusions; input of any kind gives a ParsedQuery."""
    text = (text or "")[:MAX_QUERY_LENGTH]
    words, phrases, excluded = [], [], []
    for negated, phrase, chunk in _CHUNK.findall(text):
        if chunk:
            negated = chunk.startswith("-") and len(chunk) > 1
        tokens = [token.lower() for token in _WORD.findall(phrase or chunk)]
        if not tokens:
            continue
        if negated:
            excluded.extend(tokens)
        elif phrase and len(tokens) > 1:
            phrases.append(tuple(tokens))
        else:
            words.extend(tokens)
    return ParsedQuery(
        text=text.strip(),
        words=tuple(dict.fromkeys(words))[:MAX_TERMS],
        phrases=tuple(dict.fromkeys(phrases))[:MAX_TERMS],
        excluded=tuple(dict.fromkeys(excluded))[:MAX_TERMS],
    )


def fold_char(char):
    """One character without its marks, lower case: "Ộ" → "o", "Đ" → "d". Keeps string offsets."""
    if char in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", char)[0]
    return base.lower() if len(base.lower()) == 1 else char


def fold(text):
    return "".join(fold_char(char) for char in text)


def tokenize(text):
    return _WORD.findall(fold(unicodedata.normalize("NFC", text)))


def _contains(tokens, sequence):
    size = len(sequence)
    return any(tokens[index : index + size] == sequence for index in range(len(tokens) - size + 1))
