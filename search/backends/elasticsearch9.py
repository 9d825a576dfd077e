"""Elasticsearch 9 with Vietnamese folding: ``"BACKEND": "search.backends.elasticsearch9"``.

What the index and the queries hold is described in ``search.backends.vietnamese_analysis``.
"""

from elasticsearch import BadRequestError
from modelsearch.backends.elasticsearch9 import (
    Elasticsearch9AutocompleteQueryCompiler,
    Elasticsearch9Mapping,
    Elasticsearch9SearchQueryCompiler,
    Elasticsearch9SearchResults,
)
from modelsearch.backends.elasticsearch9 import Elasticsearch9SearchBackend as ModelsearchBackend

from .vietnamese_analysis import (
    SqlFilteredResultsMixin,
    VietnameseAutocompleteCompilerMixin,
    VietnameseBackendMixin,
    VietnameseMappingMixin,
    VietnameseQueryCompilerMixin,
    index_settings,
)


class Elasticsearch9VietnameseMapping(VietnameseMappingMixin, Elasticsearch9Mapping):
    pass


class Elasticsearch9VietnameseQueryCompiler(VietnameseQueryCompilerMixin, Elasticsearch9SearchQueryCompiler):
    mapping_class = Elasticsearch9VietnameseMapping


class Elasticsearch9VietnameseAutocompleteCompiler(
    VietnameseAutocompleteCompilerMixin, Elasticsearch9AutocompleteQueryCompiler
):
    mapping_class = Elasticsearch9VietnameseMapping


class Elasticsearch9VietnameseResults(SqlFilteredResultsMixin, Elasticsearch9SearchResults):
    pass


class Elasticsearch9SearchBackend(VietnameseBackendMixin, ModelsearchBackend):
    mapping_class = Elasticsearch9VietnameseMapping
    query_compiler_class = Elasticsearch9VietnameseQueryCompiler
    autocomplete_query_compiler_class = Elasticsearch9VietnameseAutocompleteCompiler
    results_class = Elasticsearch9VietnameseResults
    request_error_class = BadRequestError
    settings = index_settings(ModelsearchBackend.settings)


SearchBackend = Elasticsearch9SearchBackend
