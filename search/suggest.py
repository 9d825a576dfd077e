"""Title suggestions as one types: the folded prefix of the last word, among records the user may list."""

from django.db import DatabaseError, transaction
from modelsearch.backends import get_search_backend

from collections_app import access

from .filters import LEVELS
from .folding import fold_for_index

MAX_SUGGESTIONS = 8
MIN_LENGTH = 2


def suggestions(user, text, limit=MAX_SUGGESTIONS):
    """Up to ``limit`` distinct titles whose words start with what was typed (accents ignored)."""
    prefix = fold_for_index((text or "")[:100])
    if len(prefix) < MIN_LENGTH:
        return []
    backend = get_search_backend()
    found = {}
    for level in LEVELS:
        queryset = access.listable(user, level.model._default_manager.all())
        try:
            with transaction.atomic():
                records = list(backend.autocomplete(prefix, queryset)[:limit])
        except DatabaseError:
            continue
        for record in records:
            title = record.title
            if title and title not in found:
                found[title] = {"title": title, "level": level.slug, "url": record.get_absolute_url()}
        if len(found) >= limit:
            break
    return list(found.values())[:limit]
