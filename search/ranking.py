"""The second look at the best candidates of a level: what the index cannot rank.

- A document number typed in the query ("1234/QĐ-UBND", "QĐ-UBND") puts the document bearing that
  number first, and a reference code the record with that code.
- A query typed with diacritics puts the records whose title holds the words in the form typed
  (tone placement aside: "hoà" = "hòa") before those matched only once folded.
- Records whose title and place (the unit of the creating body) hold every word come before records
  matched in their other fields, those holding the words side by side as typed first; for a place
  named alone, the fonds of that place before the records in them.
"""

from .folding import exact_words, fold_for_index, words

NUMBER_BONUS = 1000
CODE_BONUS = 800
EXACT_BONUS = 100
TITLE_BONUS = 10
PROXIMITY_BONUS = 5
FONDS_BONUS = 3


def bonuses(query, level, ids):
    """``{pk: bonus}`` for the candidates ``ids`` of ``level`` (missing: no bonus)."""
    if not ids or level.slug == "page" or not (query.words or query.phrases or query.numbers):
        return {}
    fields = ["pk", "title", "reference_code"] if level.slug != "fonds" else ["pk", "name", "reference_code"]
    if level.slug == "document":
        fields += ["doc_code", "code_number", "code_notation", "issued_year"]
    elif level.slug == "file":
        fields += ["file_code"]
    place_fields = [f"{lookup}__{name}" for lookup in level.unit_lookups for name in ("name", "parent__name")]
    rows = level.model._default_manager.filter(pk__in=ids).values_list(*fields, *place_fields)
    numbers = [fold_for_index(number) for number in query.numbers]
    typed_words = list(query.words) + [word for phrase in query.phrases for word in phrase]
    wanted_words = set(typed_words)
    exact_terms = set(query.exact_terms) if query.typed_with_marks else set()
    found = {}
    for pk, title, reference_code, *rest in rows:
        codes, places = rest[: len(rest) - len(place_fields)], rest[len(rest) - len(place_fields) :]
        bonus = _number_bonus(level, numbers, reference_code, codes)
        # The title and the place of the creating body say what a record is and where it is from.
        label = " ".join([title or "", *(place for place in places if place)])
        label_words = words(label)
        if wanted_words and wanted_words <= set(label_words):
            bonus += TITLE_BONUS + (FONDS_BONUS if level.slug == "fonds" else 0)
            bonus += int(PROXIMITY_BONUS * _adjacent_share(typed_words, label_words))
        if exact_terms:
            share = len(exact_terms & set(exact_words(label))) / len(exact_terms)
            bonus += int(EXACT_BONUS * share)
        if bonus:
            found[pk] = bonus
    return found


def _adjacent_share(typed, found):
    """The share of the typed word pairs that stand side by side in ``found`` too."""
    pairs = list(zip(typed, typed[1:], strict=False))
    if not pairs:
        return 1.0
    present = set(zip(found, found[1:], strict=False))
    return sum(pair in present for pair in pairs) / len(pairs)


def _number_bonus(level, numbers, reference_code, codes):
    if not numbers:
        return 0
    identifiers = {fold_for_index(code) for code in [reference_code, *codes[:1]] if code}
    if any(number in identifiers for number in numbers):
        return CODE_BONUS
    if level.slug != "document":
        return 0
    _doc_code, code_number, code_notation, year = codes
    notation = fold_for_index(code_notation)
    full = {
        fold_for_index(f"{code_number}/{code_notation}"),
        fold_for_index(f"{code_number}/{year}/{code_notation}"),
    }
    for number in numbers:
        if code_number and number in full:
            return NUMBER_BONUS
        if number and (number == notation or notation.endswith(" " + number)):
            return NUMBER_BONUS // 2
    return 0
