"""OpenSearch 3 with Vietnamese folding: ``"BACKEND": "search.backends.opensearch3"``.

What the index and the queries hold is described in ``search.backends.vietnamese_analysis``.
"""

from modelsearch.backends.opensearch3 import (
    OpenSearch3AutocompleteQueryCompiler,
    OpenSearch3Mapping,
    OpenSearch3SearchQueryCompiler,
    OpenSearch3SearchResults,
)
from modelsearch.backends.opensearch3 import OpenSearch3SearchBackend as ModelsearchBackend
from opensearchpy import RequestError

from .vietnamese_analysis import (
    SqlFilteredResultsMixin,
    VietnameseAutocompleteCompilerMixin,
    VietnameseBackendMixin,
    VietnameseMappingMixin,
    VietnameseQueryCompilerMixin,
    index_settings,
)


class OpenSearch3VietnameseMapping(VietnameseMappingMixin, OpenSearch3Mapping):
    pass


class OpenSearch3VietnameseQueryCompiler(VietnameseQueryCompilerMixin, OpenSearch3SearchQueryCompiler):
    mapping_class = OpenSearch3VietnameseMapping


class OpenSearch3VietnameseAutocompleteCompiler(
    VietnameseAutocompleteCompilerMixin, OpenSearch3AutocompleteQueryCompiler
):
    mapping_class = OpenSearch3VietnameseMapping


class OpenSearch3VietnameseResults(SqlFilteredResultsMixin, OpenSearch3SearchResults):
    pass


class OpenSearch3SearchBackend(VietnameseBackendMixin, ModelsearchBackend):
    mapping_class = OpenSearch3VietnameseMapping
    query_compiler_class = OpenSearch3VietnameseQueryCompiler
    autocomplete_query_compiler_class = OpenSearch3VietnameseAutocompleteCompiler
    results_class = OpenSearch3VietnameseResults
    request_error_class = RequestError
    settings = index_settings(ModelsearchBackend.settings)


SearchBackend = OpenSearch3SearchBackend
