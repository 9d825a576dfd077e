"""Folding text the way people write it: case, accents and punctuation ignored."""

import re
import unicodedata

from anyascii import anyascii

_WORDS = re.compile(r"[a-z0-9]+")


def fold(text):
    """``"Mã hồ sơ (fileCode)"`` → ``"ma ho so filecode"``: lower case ASCII words joined by spaces."""
    return " ".join(_WORDS.findall(anyascii(unicodedata.normalize("NFC", str(text))).lower()))


def compact(text):
    """A vocabulary key: folded, without spaces (``"Việt - Anh"`` → ``"vietanh"``)."""
    return fold(text).replace(" ", "")


def nfc(text):
    return unicodedata.normalize("NFC", text)
