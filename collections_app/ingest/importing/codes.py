"""Reading file codes, document identifiers and Circular 02/2019 codes back into their parts.

A file code is ``[creating body's identifier].[year].[file number and notation][.series number]``
(``H49.64.33.2001.160``); the identifier is the fonds' own unless the file names another. The
composition mirrors ``RecordFile.compose_file_code`` and ``Document.compose_codes``.
"""

import re
from dataclasses import dataclass

_YEAR = re.compile(r"^[12]\d{3}$")


@dataclass(frozen=True)
class FileCodeParts:
    creator_code: str  # "" when the fonds' prefix applies
    year: int
    file_number: str


def compose_file_code(prefix, year, file_number, series_number=None):
    parts = [prefix, str(year), file_number]
    if series_number:
        parts.append(series_number)
    return ".".join(parts)


def compose_document_codes(file_code, ordinal):
    """``(doc_id, doc_code)`` as ``Document.compose_codes`` makes them."""
    return f"{file_code}.{ordinal}", f"{file_code}.{ordinal:07d}"


def parse_file_code(code, prefix, series_number=None, year_hint=None):
    """The parts of a file code, or None when no year can be found in it."""
    attempts = []
    if series_number and code.endswith("." + series_number):
        attempts.append(code[: -len(series_number) - 1])
    attempts.append(code)
    for body in attempts:
        parts = _parse_body(body, prefix, year_hint)
        if parts is not None:
            return parts
    return None


def _parse_body(body, prefix, year_hint):
    if prefix and body.startswith(prefix + "."):
        rest = body[len(prefix) + 1 :].split(".")
        if len(rest) >= 2 and _YEAR.match(rest[0]):
            return FileCodeParts("", int(rest[0]), ".".join(rest[1:]))
    segments = body.split(".")
    positions = [i for i in range(1, len(segments) - 1) if _YEAR.match(segments[i])]
    if not positions:
        return None
    if year_hint and any(segments[i] == str(year_hint) for i in positions):
        position = next(i for i in positions if segments[i] == str(year_hint))
    else:
        position = positions[0]
    creator = ".".join(segments[:position])
    return FileCodeParts(
        "" if creator == prefix else creator, int(segments[position]), ".".join(segments[position + 1 :])
    )


def ordinal_after(code, prefixes):
    """The ordinal of a document identifier ``{file code}.{ordinal}`` (or a 7-digit docCode), or None."""
    for prefix in prefixes:
        if prefix and code.startswith(prefix):
            rest = code[len(prefix) :].lstrip(".")
            if rest.isdigit() and int(rest) > 0:
                return int(rest)
    return None


def parse_legacy_file_code(code, fonds_code):
    """``(series number or year, file number)`` of a 02/2019 file code: archive.fonds.series|year.number."""
    segments = code.split(".")
    for index, segment in enumerate(segments):
        if segment == fonds_code and len(segments) - index >= 3:
            return segments[index + 1], ".".join(segments[index + 2 :])
    return None


def is_year(text):
    return bool(_YEAR.match(text or ""))
