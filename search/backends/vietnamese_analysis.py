"""Vietnamese text on Elasticsearch 9 / OpenSearch 3: index analysis, mapping, queries, results.

Analysis (``index_settings``):
- ``vietnamese_folding`` (every text field, at index and at query time): old tone placement mapped to
  the new one ("hoà" → "hòa", "uỷ" → "ủy"), the in-word joiners the standard tokenizer keeps (". , ; :
  ' _") made separators as ``search.folding.fold_for_index`` does, standard tokenizer, lowercase, then
  ``asciifolding`` with ``preserve_original``: "Đồng" is indexed as "dong" and "đồng" at one position,
  so "dong nai" finds "Đồng Nai" and a query typed with marks scores the exact form higher. "đ" is
  folded by asciifolding here, not by a char filter, so the kept original still tells "Đông" from
  "Dông".
- ``vietnamese_autocomplete``: the same chain then front edge n-grams; searched with
  ``vietnamese_folding``, so "dong", "Đồn" and "Đồng" all complete "Đồng Nai".
- ``document_number`` (sub-field ``.number`` of the title and identifier fields): the char filter
  ``vietnamese_d`` (đ/Đ → d/D), then only the runs joined by "/", "-" or "." kept whole: "1234/QĐ-UBND"
  is one token "1234/qd-ubnd". The parts (1234, qd, ubnd) are in the main field, where "QĐ-UBND" or a
  number typed as words finds them as a phrase; the unit puts the document bearing that number first.

Queries: plain words match the folded fields with all words required; when ``fuzziness`` is set and
the words have no digit, a second, weaker clause forgives one-letter typos ("Tuyen Quag"). Numbers are
never fuzzy ("1234" must not find "1235"), nor are exclusions ("-tam" must not drop "tim").

Results: the search page hands the backend a queryset filtered by the access module on fields the
server does not hold (``deleted_at``, opening dates, grants). Such a query asks the server for the
best ``MATCH_LIMIT`` matches (pk and score), then applies the queryset in SQL, so access decisions stay
with ``collections_app.access`` whatever the backend. Counts and facets then cover those best matches
of each level, not every match of a very common word.
"""

import re
import unicodedata

from django.db import DatabaseError
from django.db.models import BooleanField, Case, F, FloatField, Func, Value, When
from modelsearch.backends.base import FieldError, FilterError, SearchFieldError
from modelsearch.index import SearchField
from modelsearch.query import And, Boost, Fuzzy, Not, Or, Phrase, PlainText

FOLDING_ANALYZER = "vietnamese_folding"
AUTOCOMPLETE_ANALYZER = "vietnamese_autocomplete"
AUTOCOMPLETE_SEARCH_ANALYZER = FOLDING_ANALYZER
NUMBER_ANALYZER = "document_number"
NUMBER_SUBFIELD = "number"

# Search fields that carry document numbers, symbols and reference codes.
NUMBER_FIELDS = frozenset({"title", "search_identifiers"})

DEFAULT_FUZZINESS = "AUTO"
# Matches taken from the server when the queryset is filtered in SQL. They travel into the SQL as
# literals (an IN list and a CASE of scores): 2,000 cost about 20 ms a query on SQLite, 10,000 about
# 0.5 s. At most 10,000 (the servers' default index.max_result_window).
DEFAULT_MATCH_LIMIT = 2_000
NUMBER_BOOST = 10.0
FUZZY_BOOST = 0.3
FUZZY_MAX_EXPANSIONS = 20

# A run of letters/digits joined by "/", "-" or ".": the same rule as search.query's _COMPOUND.
NUMBER_PATTERN = r"[\p{L}\p{N}]+(?:[/.\-][\p{L}\p{N}]+)+"
# Characters the standard tokenizer keeps inside a word (UAX #29 MidLetter, MidNum, ExtendNumLet).
JOINER_PATTERN = "[._:,;'’‘·]"

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
_OLD_TONE_PAIRS = (("o", "a"), ("o", "e"), ("u", "y"))
_DIGIT = re.compile(r"\d")


def _nfc(text):
    return unicodedata.normalize("NFC", text)


def tone_placement_rules():
    """Mapping rules old → new tone placement for "oa", "oe", "uy" in every case: "oà => òa", "UỶ => ỦY"."""
    rules = []
    for first, second in _OLD_TONE_PAIRS:
        for first_case in (first, first.upper()):
            for second_case in (second, second.upper()):
                for mark in _TONE_MARKS:
                    old = first_case + _nfc(second_case + mark)
                    new = _nfc(first_case + mark) + second_case
                    rules.append(f"{old} => {new}")
    return rules


def analysis_settings():
    """The ``analysis`` block of the index settings (char filters, tokenizers, filters, analyzers)."""
    folding_chain = {
        "type": "custom",
        "char_filter": ["vietnamese_tone_placement", "word_joiners"],
        "tokenizer": "standard",
        "filter": ["lowercase", "vietnamese_folding"],
    }
    return {
        "char_filter": {
            "vietnamese_d": {"type": "mapping", "mappings": ["Đ => D", "đ => d"]},
            "vietnamese_tone_placement": {"type": "mapping", "mappings": tone_placement_rules()},
            "word_joiners": {"type": "pattern_replace", "pattern": JOINER_PATTERN, "replacement": " "},
        },
        "tokenizer": {
            NUMBER_ANALYZER: {"type": "pattern", "pattern": NUMBER_PATTERN, "group": 0},
        },
        "filter": {
            "vietnamese_folding": {"type": "asciifolding", "preserve_original": True},
            "autocomplete_edge": {"type": "edge_ngram", "min_gram": 1, "max_gram": 15},
        },
        "analyzer": {
            FOLDING_ANALYZER: folding_chain,
            # Text fields without an analyzer of their own (pages, images, future fields) fold too.
            "default": dict(folding_chain),
            AUTOCOMPLETE_ANALYZER: {
                **folding_chain,
                "filter": [*folding_chain["filter"], "autocomplete_edge"],
            },
            NUMBER_ANALYZER: {
                "type": "custom",
                "char_filter": ["vietnamese_d"],
                "tokenizer": NUMBER_ANALYZER,
                "filter": ["lowercase", "asciifolding"],
            },
        },
    }


def index_settings(base_settings):
    """``base_settings`` (modelsearch's, with its n-gram analyzers) plus the Vietnamese analysis."""
    settings = {key: value for key, value in base_settings.items()}
    inner = dict(settings.get("settings", {}))
    analysis = {key: dict(value) for key, value in inner.get("analysis", {}).items()}
    for section, entries in analysis_settings().items():
        analysis.setdefault(section, {}).update(entries)
    inner["analysis"] = analysis
    settings["settings"] = inner
    return settings


# The analysis run in Python ----------------------------------------------------------------------------


def simulate(text, analyzer=FOLDING_ANALYZER, analysis=None):
    """The tokens ``analyzer`` gives for ``text``, computed in Python from the settings themselves.

    It runs the char filter rules and patterns as written in ``analysis`` (mapping, pattern_replace),
    the pattern tokenizer's pattern, lowercase, asciifolding (with ``preserve_original``: folded token,
    then the original at the same position) and edge n-grams. The standard tokenizer is approximated
    by runs of letters and digits, which is what it does on Vietnamese text once the joiners are
    separators. The live tests compare it with the server's ``_analyze``.
    """
    analysis = analysis or analysis_settings()
    definition = analysis["analyzer"][analyzer]
    text = unicodedata.normalize("NFC", text or "")
    for name in definition.get("char_filter", []):
        text = _apply_char_filter(analysis["char_filter"][name], text)
    tokens = _tokenize(analysis.get("tokenizer", {}).get(definition["tokenizer"]), text)
    for name in definition.get("filter", []):
        tokens = _apply_filter(analysis.get("filter", {}).get(name, {"type": name}), tokens)
    return tokens


def _python_pattern(pattern):
    return pattern.replace(r"[\p{L}\p{N}]", r"[^\W_]")


def _apply_char_filter(char_filter, text):
    if char_filter["type"] == "mapping":
        rules = dict(rule.split(" => ", 1) for rule in char_filter["mappings"])
        keys = sorted(rules, key=len, reverse=True)
        return re.sub("|".join(re.escape(key) for key in keys), lambda match: rules[match.group(0)], text)
    if char_filter["type"] == "pattern_replace":
        return re.sub(_python_pattern(char_filter["pattern"]), char_filter["replacement"], text)
    raise ValueError(f"char filter {char_filter['type']} is not reproduced")


def _tokenize(tokenizer, text):
    if tokenizer is None:  # a built-in tokenizer: only "standard" is used
        return re.findall(r"[^\W_]+", text)
    if tokenizer["type"] == "pattern" and tokenizer.get("group") == 0:
        return re.findall(_python_pattern(tokenizer["pattern"]), text)
    raise ValueError(f"tokenizer {tokenizer['type']} is not reproduced")


def ascii_fold(token):
    decomposed = unicodedata.normalize("NFD", token.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _apply_filter(token_filter, tokens):
    kind = token_filter["type"]
    if kind == "lowercase":
        return [token.lower() for token in tokens]
    if kind == "asciifolding":
        folded = []
        for token in tokens:
            plain = ascii_fold(token)
            folded.append(plain)
            if token_filter.get("preserve_original") and plain != token:
                folded.append(token)
        return folded
    if kind == "edge_ngram":
        low, high = token_filter["min_gram"], token_filter["max_gram"]
        return [token[:size] for token in tokens for size in range(low, min(high, len(token)) + 1)]
    raise ValueError(f"filter {kind} is not reproduced")


# Mapping ---------------------------------------------------------------------------------------------


def _normalized(value):
    """``value`` with every string in NFC: the analyzers fold precomposed letters, not loose marks."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    if isinstance(value, dict):
        return {key: _normalized(item) for key, item in value.items()}
    return value


def _field_base_name(column_name):
    """ "collections_app_document__title" → "title": the name without modelsearch's subclass prefix."""
    return column_name.rsplit("__", 1)[-1]


def set_text_analyzers(properties):
    """Give every text field the folding analyzer, and number fields their ``.number`` sub-field."""
    for name, field in properties.items():
        if field.get("type") == "nested":
            set_text_analyzers(field["properties"])
            continue
        if field.get("type") != "text" or "analyzer" in field:
            continue
        field["analyzer"] = FOLDING_ANALYZER
        field["search_analyzer"] = FOLDING_ANALYZER
        if _field_base_name(name) in NUMBER_FIELDS:
            field["fields"] = {NUMBER_SUBFIELD: {"type": "text", "analyzer": NUMBER_ANALYZER}}


class VietnameseMappingMixin:
    edgengram_analyzer_config = {
        "analyzer": AUTOCOMPLETE_ANALYZER,
        "search_analyzer": AUTOCOMPLETE_SEARCH_ANALYZER,
    }

    def get_mapping(self):
        mapping = super().get_mapping()
        set_text_analyzers(mapping["properties"])
        return mapping

    def get_document(self, obj):
        document = super().get_document(obj)
        # Text a model adds for search only (search.backends.folded reads the same attribute).
        extra = getattr(obj, "search_extra_text", None)
        extra = extra() if callable(extra) else extra
        if extra:
            document["_all_text"] = extra
        return _normalized(document)

    def number_columns(self):
        """The ``.number`` sub-fields of this model's number-bearing search fields."""
        return [
            f"{self.get_field_column_name(field)}.{NUMBER_SUBFIELD}"
            for field in self.model.get_searchable_search_fields()
            if isinstance(field, SearchField) and field.field_name in NUMBER_FIELDS
        ]


# Queries -----------------------------------------------------------------------------------------------


def normalized_query(query):
    """``query`` (a modelsearch query tree) with every text in NFC."""
    if isinstance(query, PlainText):
        return PlainText(_nfc(query.query_string), operator=query.operator, boost=query.boost)
    if isinstance(query, Phrase):
        return Phrase(_nfc(query.query_string))
    if isinstance(query, Fuzzy):
        return Fuzzy(_nfc(query.query_string), operator=query.operator)
    if isinstance(query, (And, Or)):
        return type(query)([normalized_query(subquery) for subquery in query.subqueries])
    if isinstance(query, Not):
        return Not(normalized_query(query.subquery))
    if isinstance(query, Boost):
        return Boost(normalized_query(query.subquery), query.boost)
    return query


def contains_number(text):
    return bool(re.search(_python_pattern(NUMBER_PATTERN), text))


class VietnameseQueryCompilerMixin:
    #: Edit distance forgiven in words without digits ("AUTO": one letter in words of 3 to 5 letters,
    #: two from 6); None turns it off. The backend's FUZZINESS option sets it.
    fuzziness = DEFAULT_FUZZINESS
    #: Whether a number typed as written is also matched whole on the ``.number`` sub-fields.
    matches_numbers = True

    def __init__(self, queryset, query, *args, **kwargs):
        super().__init__(queryset, query, *args, **kwargs)
        self.query = normalized_query(self.query)
        self._negations = 0
        self.server_filters, self.filters_in_sql = self._translate_filters()

    def _translate_filters(self):
        """The queryset's filters for the server, or (None, True) when only SQL can apply them.

        Any filter modelsearch cannot translate (a field the index lacks, a lookup it does not know, an
        expression) sends the whole queryset to SQL, which is always correct, only slower.
        """
        try:
            return self._get_filters_from_queryset(), False
        except (FilterError, FieldError, AttributeError, TypeError, ValueError):
            return None, True

    def check(self):
        # Filters the server cannot apply are applied in SQL (see SqlFilteredResultsMixin), so only the
        # searched fields are checked here.
        if self.fields:
            allowed = {field.field_name for field in self.queryset.model.get_searchable_search_fields()}
            for field_name in self.fields:
                if field_name not in allowed:
                    raise SearchFieldError(
                        f'Cannot search with field "{field_name}": it is not a SearchField of '
                        f"{self.queryset.model.__name__}.",
                        field_name=field_name,
                    )

    def get_filters(self):
        filters = [self.get_content_type_filter()]
        if self.server_filters:
            filters.append(self.server_filters)
        return filters

    def get_sort(self):
        if self.filters_in_sql:
            return None
        return super().get_sort()

    def get_inner_query(self):
        if isinstance(self.query, Not):
            return self._negated(super().get_inner_query)
        return super().get_inner_query()

    def _compile_query(self, query, field, boost=1.0):
        if isinstance(query, Not):
            return self._negated(super()._compile_query, query, field, boost)
        return super()._compile_query(query, field, boost)

    def _negated(self, compile_function, *args):
        """Compile what is excluded with exact words only: "-tam" must not also drop "tim"."""
        self._negations += 1
        try:
            return compile_function(*args)
        finally:
            self._negations -= 1

    def _compile_plaintext_query(self, query, fields, boost=1.0):
        exact = super()._compile_plaintext_query(query, fields, boost)
        forgiving = self._fuzzy_clause(query, fields, boost)
        text_clause = exact
        if forgiving is not None:
            text_clause = {"bool": {"should": [exact, forgiving], "minimum_should_match": 1}}
        number_clause = self._number_clause(query.query_string, boost)
        if number_clause is None:
            return text_clause
        return {"bool": {"must": [text_clause], "should": [number_clause]}}

    def _fuzzy_clause(self, query, fields, boost):
        """A weaker clause forgiving typos, for queries that require every word (what people type).

        Queries matching any of several words are what search.query builds for exclusions: they, and
        everything under a Not, stay exact, as do words with digits.
        """
        if not self.fuzziness or self._negations or query.operator != "and" or not fields:
            return None
        if _DIGIT.search(query.query_string):
            return None
        match = {
            "query": query.query_string,
            "fuzziness": self.fuzziness,
            "prefix_length": 1,
            "max_expansions": FUZZY_MAX_EXPANSIONS,
            "boost": FUZZY_BOOST * boost,
        }
        match["operator"] = query.operator
        if len(fields) == 1:
            match["boost"] *= fields[0].boost
            return {"match": {fields[0].field_name: match}}
        return {"multi_match": {**match, "fields": [field.field_name_with_boost for field in fields]}}

    def _number_clause(self, text, boost):
        if not self.matches_numbers or not contains_number(text):
            return None
        columns = self.mapping.number_columns()
        if not columns:
            return None
        return {"multi_match": {"query": text, "fields": columns, "boost": NUMBER_BOOST * boost}}


class VietnameseAutocompleteCompilerMixin(VietnameseQueryCompilerMixin):
    # Edge n-grams already match partial words; fuzzy n-grams would complete almost anything.
    fuzziness = None
    matches_numbers = False


# Results -----------------------------------------------------------------------------------------------


class SearchQueryRejected(DatabaseError):
    """The search server refused a query. A DatabaseError, so that search.backend.evaluate retries the
    search once with plain words, as it does when a database backend refuses one."""


class _PrimaryKeyIn(Func):
    """``pk IN (1, 2, 3)`` with the ids written into the SQL: thousands of ids need no parameters, and
    the column is still relabelled when the queryset becomes a subquery."""

    output_field = BooleanField()

    def __init__(self, ids):
        super().__init__(F("pk"))
        self.ids = tuple(int(pk) for pk in ids)

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} IN ({', '.join(str(pk) for pk in self.ids)})", params


class _ScoreByPrimaryKey(Func):
    """The server's score of each row, written into the SQL as a CASE expression.

    The CASE is a balanced tree on the primary key (``CASE WHEN pk < m THEN ... ELSE ... END``, a flat
    ``CASE pk WHEN ...`` at the leaves), so each row costs a few comparisons, not one per match.
    """

    output_field = FloatField()
    leaf_size = 16

    def __init__(self, scores):
        super().__init__(F("pk"))
        self.scores = tuple(sorted((int(pk), float(score)) for pk, score in scores))

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        return self._case(column, 0, len(self.scores)), params

    def _case(self, column, start, end):
        if end - start <= self.leaf_size:
            branches = " ".join(f"WHEN {pk} THEN {score!r}" for pk, score in self.scores[start:end])
            return f"(CASE {column} {branches} ELSE 0.0 END)"
        middle = (start + end) // 2
        lower, upper = self._case(column, start, middle), self._case(column, middle, end)
        return f"(CASE WHEN {column} < {self.scores[middle][0]} THEN {lower} ELSE {upper} END)"


def _has_integer_pk(model):
    return model._meta.pk.get_internal_type() in {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
    }


class SqlFilteredResultsMixin:
    """Results that can also be a Django queryset (``get_queryset``), as the database backends' are."""

    internal_score_field = "_search_server_score"

    def get_queryset(self):
        """The queryset given to the search, narrowed to the server's matches, ordered best first.

        The score is annotated as ``annotate_score`` asked, with the sign search.backend expects of the
        connection (lower is better on SQLite, where bm25 scores are negative).
        """
        from search.backend import lower_score_is_better

        queryset = self.query_compiler.queryset
        matches = self._server_matches()
        sign = -1.0 if lower_score_is_better() else 1.0
        score_field = self._score_field or self.internal_score_field
        if not matches:
            return queryset.none().annotate(**{score_field: Value(0.0, output_field=FloatField())})
        if _has_integer_pk(queryset.model):
            matched = queryset.filter(_PrimaryKeyIn(pk for pk, _score in matches))
            score = _ScoreByPrimaryKey((pk, sign * score) for pk, score in matches)
        else:
            matched = queryset.filter(pk__in=[pk for pk, _score in matches])
            whens = [When(pk=pk, then=Value(sign * float(score))) for pk, score in matches]
            score = Case(*whens, default=Value(0.0), output_field=FloatField())
        matched = matched.annotate(**{score_field: score})
        if self.query_compiler.order_by_relevance:
            ordering = score_field if sign < 0 else f"-{score_field}"
            matched = matched.order_by(ordering, "-pk")
        return matched

    def _server_matches(self):
        """``[(pk, score)]`` of the best matches the server holds for the text query, best first."""
        body = {"query": self.query_compiler.get_query()}
        params = {
            "index": self.backend.get_index_for_model(self.query_compiler.queryset.model).name,
            "_source": False,
            self.fields_param_name: "pk",
            "size": self.backend.match_limit,
        }
        try:
            response = self._backend_do_search(body, **params)
        except self.backend.request_error_class as error:
            raise SearchQueryRejected(str(error)) from error
        return [(hit["fields"]["pk"][0], hit["_score"] or 0.0) for hit in response["hits"]["hits"]]

    def _do_search(self):
        if not self.query_compiler.filters_in_sql:
            return super()._do_search()
        return list(self.get_queryset()[self.start : self.stop])

    def _do_count(self):
        if not self.query_compiler.filters_in_sql:
            return super()._do_count()
        return self.get_queryset()[self.start : self.stop].count()


# Backend -----------------------------------------------------------------------------------------------


class VietnameseBackendMixin:
    """Options beyond modelsearch's: FUZZINESS ("AUTO", None to turn off), MATCH_LIMIT (most matches
    taken from the server when the queryset is filtered in SQL), INDEX (a prefix of the index names,
    like INDEX_PREFIX)."""

    def __init__(self, params):
        params = dict(params)
        index = params.pop("INDEX", None)
        if index and "INDEX_PREFIX" not in params:
            params["INDEX_PREFIX"] = f"{index.lower()}_"
        self.match_limit = int(params.pop("MATCH_LIMIT", DEFAULT_MATCH_LIMIT))
        fuzziness = params.pop("FUZZINESS", DEFAULT_FUZZINESS)
        super().__init__(params)
        if fuzziness != self.query_compiler_class.fuzziness:
            compiler = self.query_compiler_class
            self.query_compiler_class = type(compiler.__name__, (compiler,), {"fuzziness": fuzziness})
