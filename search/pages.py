"""The site's own pages (exhibitions, archive home pages, information pages) as one more search level.

Pages are Wagtail pages, indexed by Wagtail through the same folding backend; only live pages open to
everyone (no view restriction) are searched, so nothing private is found.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy
from wagtail.models import Page

from .backend import SCORE, best_first, matching
from .filters import PAGE_LEVEL
from .level_scan import LevelScan
from .snippets import build_snippet


@dataclass(frozen=True)
class PageLevel:
    slug: str = PAGE_LEVEL
    label: str = gettext_lazy("trang giới thiệu")
    model: type = Page


LEVEL = PageLevel()


def searchable(query, filters):
    """Pages have no archive, year or category: they are searched only when no such filter is set."""
    if not query.has_terms:
        return False
    return not filters.as_params() or filters.as_params() == {"level": PAGE_LEVEL}


def scan(user, query, depth, fallback=False):
    """The pages' matches: their number and the ``depth`` best, as ``level_scan.LevelScan``."""
    base = Page.objects.live().public().filter(depth__gt=1)
    positive = query.plain_words_query() if fallback else query.backend_query()
    hits = matching(base, positive)
    if query.has_exclusions:
        excluded = list(matching(base, query.excluded_query()).values_list("pk", flat=True))
        hits = hits.exclude(pk__in=excluded) if excluded else hits
    best = list(best_first(hits).values_list("pk", SCORE)[:depth])
    return LevelScan(level=LEVEL, count=hits.count(), best=best)


def load(ids):
    return Page.objects.filter(pk__in=ids).specific()


def snippet(page, query):
    texts = [page.title, getattr(page, "search_description", ""), _plain_intro(page)]
    return build_snippet(texts, query.highlight_terms)


def _plain_intro(page):
    from django.utils.html import strip_tags

    for name in ("introduction", "intro", "body"):
        value = getattr(page, name, None)
        if value:
            return strip_tags(str(value))
    return ""
