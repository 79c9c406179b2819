"""Datasette plugin of docsites: Chinese full-text search of any term length, read-only corpus.

Loaded by Datasette through the `datasette` entry point in pyproject.toml. It acts only on
databases that hold the docsites search index (`documents_fts`, pipelines/search.py):

* `escape_fts()`, which Datasette wraps around every `?_search=` term, is replaced on those
  connections by `pipelines.search.to_fts_query`: the user's text becomes phrase queries on the
  bigram-window index, so `科`, `科技` and `北京市科技局` all find what contains them.
* Every connection to the corpus is `PRAGMA query_only`: even Datasette's write connection
  cannot change it (Datasette already opens files read-only for reading).
* Search results on the documents table show a snippet of `text` with the matches marked, and
  any result column named `snippet` (the canned `search` query) renders its <mark> tags.
* A `year` facet type (`{"year": "published"}` in metadata.yml) counts documents per year of an
  ISO date column and filters with `published__startswith=YEAR`.
* A `onepass` facet type (the default facets of documents) counts several columns in one pass
  over the matching rows, arrays by item. The facet types read the narrow table of the short
  columns (`documents_facets`, pipelines/store.py) instead of the rows of documents when the
  filters allow.
* A search for a common term is written `+rowid in (…)`, so its page walks the dates index to its
  21st match instead of sorting every match with its text (`filters_from_request`).
* A `tags` facet type (`{"tags": "doc_types"}`) counts the items of a JSON array column and filters
  with Datasette's own `doc_types__arraycontains=工作总结` (numbers: `years__contains=2023`). Datasette's `array` facet does the same
  but its SQL drags every column of every matching row (`distinct j.value, inner.*`), the whole
  text included; this one reads the array column only.
"""
from __future__ import annotations

import contextvars
import logging
import re
import sqlite3
import types
import urllib.parse
from collections.abc import Mapping

import markupsafe
from datasette import hookimpl
from datasette.facets import Facet
from datasette.utils import await_me_maybe, escape_sqlite, path_with_added_args, path_with_removed_args

from pipelines import search
from pipelines.store import FACET_COLUMNS, FACET_TABLE

logger = logging.getLogger(__name__)

MMAP_SIZE = 2**31  # SQLite caps it at its compile-time maximum (2 GiB in stock builds)

# The query string of the request being handled: render_cell gets no request in Datasette 0.65.
_current_query: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "docsites_query", default=types.MappingProxyType({}))


def is_corpus(conn) -> bool:
    names = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE name IN ('documents', ?)", [search.FTS_TABLE])}
    return len(names) == 2


@hookimpl(trylast=True)  # after Datasette's own prepare_connection, whose escape_fts this replaces
def prepare_connection(conn, database, datasette):
    try:
        corpus = is_corpus(conn)
    except Exception:  # noqa: BLE001 - not a database we can read; leave it alone
        return
    if not corpus:
        return
    conn.execute("PRAGMA query_only = 1")
    # A search touches one row per match, and `published`, `lang`, … sit after the long `text`
    # (overflow pages): memory-mapped reads instead of a read() per page halve a common term's time.
    conn.execute(f"PRAGMA mmap_size = {MMAP_SIZE}")
    search.register_functions(conn)
    conn.create_function("escape_fts", 1, search.to_fts_query, deterministic=True)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def with_query(scope, receive, send):
            if scope.get("type") == "http":
                qs = scope.get("query_string", b"").decode("utf-8", "replace")
                token = _current_query.set(dict(urllib.parse.parse_qsl(qs)))
                try:
                    await app(scope, receive, send)
                finally:
                    _current_query.reset(token)
            else:
                await app(scope, receive, send)
        return with_query
    return wrap


@hookimpl
def render_cell(value, column, table, database, datasette):
    if not isinstance(value, str):
        return None
    if column == "snippet" and search.MARK_OPEN in value:
        return markupsafe.Markup(search.snippet_html(value))
    if table == "documents" and column in search.INDEXED_COLUMNS:
        args = _current_query.get()
        query = args.get("_search") or args.get(f"_search_{column}")
        if query:
            width = 60 if column == "text" else 200
            return markupsafe.Markup(search.snippet_html(search.snippet(value, query, width=width)))
    return None


# The condition Datasette's search box adds (datasette/filters.py, fts_table and fts_pk of metadata.yml)
SEARCH_CONDITION = f"rowid in (select rowid from {search.FTS_TABLE} where {search.FTS_TABLE} match escape_fts(:search))"
# A term in more than one document in this many is read in the order of the page
COMMON_TERM = 7


@hookimpl(hookwrapper=True)
def filters_from_request(request, database, table, datasette):
    """A common term's page newest first reads the dates index in order, not every match.

    SQLite assumes `rowid in (select …)` holds 25 rows, so for `?_search=` it looks each match up
    by rowid and sorts them all by `published` to keep the first 20, reading every column of every
    match, the text included (40,000 texts for 科技 on 100,000 documents). For a term in more than
    one document in seven, and no other condition, the condition becomes `+rowid in (…)` (the same
    rows; the `+` keeps SQLite from looking them up by rowid), so the page walks
    `documents_published` from the newest date and stops at the 21st match, and the count scans that
    narrow index. A rarer term keeps the lookups (the walk would pass many dates per match), and so
    does a search with filters (the walk would read each row the index passes to test them)."""
    outcome = yield
    if table != "documents" or not request.args.get("_search"):
        return
    if request.args.get("_sort", "published") != "published" or request.args.get("_sort_desc", "published") != "published":
        return
    if any(key not in NO_COLUMN_ARGS and not key.startswith("_facet") for key in request.args):
        return
    outcome.force_result([_read_in_date_order(r, request, database, datasette) for r in outcome.get_result()])


def _read_in_date_order(result, request, database, datasette):
    async def inner():
        value = await await_me_maybe(result)
        if not value or SEARCH_CONDITION not in value.where_clauses:
            return value
        db = datasette.get_database(database)
        last = (await db.execute("select max(rowid) from documents")).first()[0] or 0
        # counted up to the threshold only: a common term stops early
        common = (await db.execute(
            f"select count(*) from (select 1 from {search.FTS_TABLE} where {search.FTS_TABLE} "
            f"match escape_fts(:search) limit :k)", {"search": request.args["_search"], "k": last // COMMON_TERM + 1},
        )).first()[0] > last // COMMON_TERM
        if common:
            i = value.where_clauses.index(SEARCH_CONDITION)
            value.where_clauses[i] = "+" + SEARCH_CONDITION
        return value
    return inner


# Long Chinese text in a narrow column is one character per line; give text and title room. On the
# table page (body.table, not the row page) the columns a reader does not scan are left out of
# sight: the row page, the JSON and CSV keep every column. A data: URL keeps the plugin free of a
# static directory.
TABLE_PAGE_HIDDEN = ("url", "part", "lang", "chars", "traditional", "truncated", "content_hash", "meta",
                     "quality", "first_seen", "updated_at")
DOCUMENTS_CSS = (
    "td.col-text { min-width: 32em; } td.col-title { min-width: 12em; } td.col-text mark { padding: 0 1px; } "
    "td.col-doc_types, td.col-years, td.col-doc_date, td.col-published { white-space: nowrap; } "
    "details.docsites-glossary dt { font-weight: bold; margin-top: 0.3em; } "
    + " ".join(f"body.table th.col-{c}, body.table td.col-{c} {{ display: none; }}" for c in TABLE_PAGE_HIDDEN)
)


@hookimpl
def extra_css_urls(database, table, datasette):
    if table == "documents":
        return ["data:text/css," + urllib.parse.quote(DOCUMENTS_CSS)]
    return []


# `select <every column> from documents <where …>`, the SQL Datasette hands a facet
PAGE_SQL = re.compile(r"^\s*select .*? from (?:\[documents\]|documents)(?=\s|$)", re.S | re.I)
# Query-string arguments that add no condition on a column (a search's condition is on rowid); any
# other argument starting with _ (`_where`, `_next`, `_through`, `_fts_table`) may name any column.
NO_COLUMN_ARGS = {"_search", "_searchmode", "_size", "_sort", "_sort_desc", "_nocount", "_nofacet", "_nosuggest",
                  "_trace", "_col", "_nocol", "_labels", "_nolabels", "_shape", "_json", "_timelimit", "_nl",
                  "_stream", "_dl", "_ttl", "_context"}


def count_sql(column: str, array: bool, rows: str, size: int, facet: int = 0) -> str:
    """The SQL counting the `size + 1` commonest values of `column` in `rows` (a table, or a
    subquery in brackets): the items of a JSON array column, one per document, else its values."""
    col = escape_sqlite(column)
    if array:
        # json_each runs once per distinct array (a few dozen: ["工作总结"], ["工作总结", "工作计划"], …),
        # not once per document; `distinct` counts an item once in a document that repeats it
        return (f"select {facet} as facet, value, sum(n) as count from (select distinct g.a, j.value, g.n from "
                f"(select {col} as a, count(*) as n from {rows} group by {col}) as g, "
                f"json_each(case when json_valid(g.a) then g.a else '[]' end) as j) "
                f"group by value order by count desc, value limit {size + 1}")
    return (f"select {facet} as facet, {col} as value, count(*) as count from {rows} "
            f"where {col} is not null and {col} != '' group by {col} order by count desc, value limit {size + 1}")


class NarrowFacet(Facet):
    """What the plugin's facet types share: the rows to count are read from the narrow table of
    the short columns (`store.FACET_TABLE`) when the filters allow, and counted under Datasette's
    facet time limit; each value links to the filter that selects it."""

    async def suggest(self):
        return []

    def sources(self, columns: list[str]) -> list[str]:
        """SQL of `columns` of the rows the page shows, without order or limit: from the narrow table
        (its rowid is the document's, and it is named `documents` for filters that name the table,
        `json_each([documents].[doc_types])`), then from the page's own SQL, for filters on a column
        the narrow table lacks (`text__contains`)."""
        cols = ", ".join(escape_sqlite(c) for c in columns)
        wide = f"select {cols} from ({self.sql})"
        page = PAGE_SQL.match(self.sql)
        if self.table != "documents" or not page or not set(columns) <= set(FACET_COLUMNS) or not self._narrow_filters():
            return [wide]
        # a common term's rows looked up by rowid: in the narrow table that costs less than a scan
        where = self.sql[page.end():].replace("+" + SEARCH_CONDITION, SEARCH_CONDITION)
        return [f"select {cols} from {FACET_TABLE} as documents{where}", wide]

    def _narrow_filters(self) -> bool:
        """Every condition of the page is on a column of the narrow table or on rowid. Known from
        the query string, not from the SQL: Datasette writes `"text" like …`, and SQLite reads a
        double-quoted name that is no column as a string, so a missing column would not fail."""
        for key in self.request.args:
            if key in NO_COLUMN_ARGS or key.startswith(("_facet", "_search_")):
                continue
            if key.startswith("_") and "__" not in key:
                return False
            if key not in FACET_COLUMNS and key.rsplit("__", 1)[0] not in FACET_COLUMNS:
                return False
        return True

    async def count(self, columns: list[str], sql) -> list | None:
        """Rows of `sql(source)` for the first source that runs; None if it timed out."""
        sources = self.sources(columns)
        for i, source in enumerate(sources):
            try:
                return (await self.ds.execute(
                    self.database, sql(source), self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )).rows
            except Exception as e:  # noqa: BLE001 - a timed-out facet is reported, not fatal
                if e.__class__.__name__ == "QueryInterrupted":
                    return None
                if i + 1 == len(sources) or not isinstance(e, sqlite3.OperationalError):
                    raise
        return None

    def whole_table(self, columns: list[str]) -> bool:
        """No condition: every document counts, straight from the narrow table (and its indexes)."""
        page = PAGE_SQL.match(self.sql)
        return (self.table == "documents" and page is not None and not self.sql[page.end():].strip()
                and set(columns) <= set(FACET_COLUMNS))

    def values(self, rows, key, shown=lambda value: value) -> list[dict]:
        """Datasette's facet results for `rows` (value, count): `key(value)` is the query-string
        filter that selects a value; a selected value links to the page without it."""
        pairs = self.get_querystring_pairs()
        out = []
        for row in rows:
            value, k = str(row["value"]), key(row["value"])
            selected = (k, value) in pairs
            toggle = (path_with_removed_args(self.request, {k: value}) if selected
                      else path_with_added_args(self.request, {k: value}))
            out.append({"value": shown(row["value"]), "label": shown(row["value"]), "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, toggle), "selected": selected})
        return out

    def result(self, column: str, source: str, kind: str, values: list, truncated: bool) -> dict:
        return {"name": column, "type": kind, "results": values, "hideable": source != "metadata",
                "toggle_url": path_with_removed_args(self.request, {f"_facet_{self.type}": column}),
                "truncated": truncated}

    async def per_column(self, sql_of, key, shown=lambda value: value) -> tuple[list, list]:
        """Datasette's (results, timed out) for facets counted a column at a time: `sql_of(column,
        rows, size)` counts `column`'s values over the rows' SQL, `key(column, value)` is the filter
        that selects a value."""
        results, timed_out = [], []
        size = self.get_facet_size()
        for column, source in self.columns():
            rows = await self.count([column], lambda rows, column=column: sql_of(column, rows, size))
            if rows is None:
                timed_out.append(column)
                continue
            values = self.values(rows[:size], lambda value, column=column: key(column, value), shown=shown)
            results.append(self.result(column, source, self.type, values, len(rows) > size))
        return results, timed_out

    def columns(self) -> list[tuple[str, str]]:
        """(column, source of the config) of each facet of this type asked for."""
        out = {}
        for c in self.get_configs():
            out.setdefault(c["config"].get("column") or c["config"]["simple"], c["source"])
        return list(out.items())


def array_key(column: str, value) -> str:
    """The filter selecting an array item: arraycontains compares the query's text with the items,
    right for text (工作总结), never equal for numbers (years), which `contains` finds in the JSON."""
    return f"{column}__arraycontains" if isinstance(value, str) else f"{column}__contains"


class YearFacet(NarrowFacet):
    """Documents per year of an ISO date column (`published`): `{"year": "published"}`."""

    type = "year"

    async def facet_results(self):
        def year_counts(column: str, rows: str, size: int) -> str:
            col = escape_sqlite(column)
            return (f"select substr({col}, 1, 4) as value, count(*) as count from ({rows}) "
                    f"where {col} glob '[0-9][0-9][0-9][0-9]*' group by value order by value desc limit {size + 1}")
        return await self.per_column(year_counts, lambda column, value: f"{column}__startswith")


class TagsFacet(NarrowFacet):
    """Documents per item of a JSON array column (`doc_types`, `years`): `{"tags": "doc_types"}`."""

    type = "tags"

    async def facet_results(self):
        return await self.per_column(lambda column, rows, size: count_sql(column, True, f"({rows})", size),
                                     array_key, shown=str)


class OnePassFacet(NarrowFacet):
    """Several facets counted in one pass over the matching rows: `{"onepass": "admin_level"}`,
    `{"onepass": "doc_types"}`, … in metadata.yml. A column holding JSON arrays counts its items
    (filter `col__arraycontains=工作总结`, or `col__contains=2023` for numbers), any other its values
    (`col=县`).

    Datasette runs one query per facet, and each visits every matching row again: for a common term
    (40,000 of 100,000 documents) that is five more seeks per match into a table whose rows are a
    text each. Here the matching rows' facet columns are read once from the narrow facet table into a
    materialised temporary table, and the counts run on that."""

    type = "onepass"

    async def facet_results(self):
        configs = self.columns()
        if not configs:
            return [], []
        columns = [c for c, _ in configs]
        arrays = await self._array_columns(columns)
        size = self.get_facet_size()
        # the matching rows read once into `m`; with no condition, each count walks the narrow
        # table's index of its column (store.FACET_INDEXED) in order instead
        whole = self.whole_table(columns)

        def counts(table: str) -> str:
            return " union all ".join(f"select * from ({count_sql(column, column in arrays, table, size, i)})"
                                      for i, column in enumerate(columns))
        # (a corpus served read-only may predate the narrow table: then the second source, documents)
        rows = await self.count(columns, lambda rows: counts(FACET_TABLE) if whole and FACET_TABLE in rows
                                else f"with m as materialized ({rows}) {counts('m')}")
        if rows is None:
            return [], columns
        by_facet: dict[int, list] = {}
        for row in rows:
            by_facet.setdefault(row["facet"], []).append(row)
        results = []
        for i, (column, source) in enumerate(configs):
            found = by_facet.get(i, [])
            if column in arrays:  # items as text, as Datasette's array facet shows them
                values = self.values(found[:size], lambda value, column=column: array_key(column, value), shown=str)
            else:
                values = self.values(found[:size], lambda value, column=column: column if not column.startswith("_")
                                     else f"{column}__exact")
            results.append(self.result(column, source, "array" if column in arrays else "column", values,
                                       len(found) > size))
        return results, []

    async def _array_columns(self, columns: list[str]) -> set[str]:
        """The columns whose first non-empty value in the table is a JSON array (one query)."""
        table = escape_sqlite(self.table)
        firsts = ", ".join(f"(select {escape_sqlite(c)} from {table} where {escape_sqlite(c)} is not null "
                           f"and {escape_sqlite(c)} != '' limit 1)" for c in columns)
        row = (await self.ds.execute(self.database, f"select {firsts}", truncate=False)).rows[0]
        return {c for c, value in zip(columns, row, strict=True)
                if isinstance(value, str) and value.startswith("[") and value.endswith("]")}


@hookimpl
def register_facet_classes():
    return [YearFacet, TagsFacet, OnePassFacet]
