"""Vietnamese text as the index and the query both see it.

Citizens type without diacritics ("dat dai dong nai"), with them ("đất đai Đồng Nai"), and with either
tone placement ("hoà" / "hòa", "uỷ" / "ủy"). The index holds every text folded — lower case, marks
removed, "đ" → "d", separators between words — and every query is folded the same way, on every
backend, so all those spellings meet. Exact forms rank first by a second look at the candidates
(``exact_form_bonus``), not by the index.
"""

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")

# Old tone placement (on the second vowel of an open "oa", "oe", "uy") to the new one, on the first:
# "hoà" → "hòa", "uỷ" → "ủy". "qu" + vowel is a consonant then a vowel ("quý"), so it stays.
_OLD_TONE = re.compile(r"(?<![qQ])([oOuU])([aAeEyY])([\u0300\u0301\u0303\u0309\u0323])(?!\w)")


def fold_char(char):
    """One character without its marks, lower case: "Ộ" → "o", "Đ" → "d". Keeps string offsets."""
    if char in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", char)[0]
    lower = base.lower()
    return lower if len(lower) == 1 else char


def _fold_table():
    """One character for one: ASCII capitals, Latin letters with marks (Vietnamese among them), "đ"."""
    table = {}
    for code in [*range(0x41, 0x5B), *range(0xC0, 0x530), *range(0x1E00, 0x2000)]:
        folded = fold_char(chr(code))
        if folded != chr(code):
            table[code] = folded
    return table


_FOLD_TABLE = _fold_table()


def fold(text):
    """``text`` folded character by character: same length, so offsets map back to the original."""
    return unicodedata.normalize("NFC", text or "").translate(_FOLD_TABLE)


def fold_for_index(text):
    """The folded words of ``text`` separated by single spaces: what the index and the query hold.

    "Quyết định số 1234/QĐ-UBND" → "quyet dinh so 1234 qd ubnd": separators become spaces, so a
    document number is a run of adjacent words on every backend, found by a phrase query.
    """
    return _NON_WORD.sub(" ", fold(text)).strip()


def words(text):
    """The folded words of ``text``."""
    folded = fold_for_index(text)
    return folded.split() if folded else []


def normalize_tones(text):
    """``text`` in NFC with the new tone placement, lower case: "Hoà" → "hòa", "Uỷ ban" → "ủy ban"."""
    decomposed = unicodedata.normalize("NFD", text or "").lower()
    return unicodedata.normalize("NFC", _OLD_TONE.sub(r"\1\3\2", decomposed))


def exact_words(text):
    """The words of ``text`` as typed, marks kept, tone placement unified: for exact-form ranking."""
    return _NON_WORD.sub(" ", normalize_tones(text)).split()


def has_marks(text):
    """Whether ``text`` carries Vietnamese marks or "đ" (a query typed with diacritics)."""
    return fold(text) != (unicodedata.normalize("NFC", text or "")).lower()
