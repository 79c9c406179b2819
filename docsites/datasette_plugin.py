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
  over the matching rows, arrays by item.
* A `tags` facet type (`{"tags": "doc_types"}`) counts the items of a JSON array column and filters
  with Datasette's own `doc_types__arraycontains=工作总结` (numbers: `years__contains=2023`). Datasette's `array` facet does the same
  but its SQL drags every column of every matching row (`distinct j.value, inner.*`), the whole
  text included; this one reads the array column only.
"""
from __future__ import annotations

import contextvars
import logging
import re
import types
import urllib.parse
from collections.abc import Mapping

import markupsafe
from datasette import hookimpl
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from pipelines import search
from pipelines.store import FACET_INDEX

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


class YearFacet(Facet):
    """Documents per year of an ISO date column (`published`): `{"year": "published"}`."""

    type = "year"

    async def suggest(self):
        return []

    async def facet_results(self):
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            sql = f"""
                select substr({escape_sqlite(column)}, 1, 4) as value, count(*) as count
                from ({self.sql}) where {escape_sqlite(column)} glob '[0-9][0-9][0-9][0-9]*'
                group by value order by value desc limit {size + 1}"""
            try:
                rows = (await self.ds.execute(
                    self.database, sql, self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )).rows
            except Exception as e:  # noqa: BLE001 - a timed-out facet is reported, not fatal
                if e.__class__.__name__ == "QueryInterrupted":
                    timed_out.append(column)
                    continue
                raise
            key = f"{column}__startswith"
            values = []
            for row in rows[:size]:
                selected = args.get(key) == row["value"]
                toggle = (path_with_removed_args(self.request, {key: row["value"]}) if selected
                          else path_with_added_args(self.request, {key: row["value"]}))
                values.append({
                    "value": row["value"], "label": row["value"], "count": row["count"],
                    "toggle_url": self.ds.absolute_url(self.request, toggle), "selected": selected,
                })
            results.append({
                "name": column, "type": self.type, "results": values,
                "hideable": source != "metadata",
                "toggle_url": path_with_removed_args(self.request, {"_facet_year": column}),
                "truncated": len(rows) > size,
            })
        return results, timed_out


class TagsFacet(Facet):
    """Documents per item of a JSON array column (`doc_types`, `years`): `{"tags": "doc_types"}`."""

    type = "tags"

    async def suggest(self):
        return []

    async def facet_results(self):
        results, timed_out = [], []
        pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            # the subquery is flattened: SQLite reads this one column of each matching row
            sql = f"""
                select j.value as value, count(*) as count
                from ({self.sql}) as inner_rows, json_each(case when json_valid(inner_rows.{col})
                                                       then inner_rows.{col} else '[]' end) as j
                group by j.value order by count desc, value limit {size + 1}"""
            try:
                rows = (await self.ds.execute(
                    self.database, sql, self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )).rows
            except Exception as e:  # noqa: BLE001 - a timed-out facet is reported, not fatal
                if e.__class__.__name__ == "QueryInterrupted":
                    timed_out.append(column)
                    continue
                raise
            values = []
            for row in rows[:size]:
                value = str(row["value"])
                # arraycontains compares the query's text with the items: right for text (工作总结),
                # never equal for numbers (years), which `contains` finds in the array's JSON
                key = f"{column}__arraycontains" if isinstance(row["value"], str) else f"{column}__contains"
                selected = (key, value) in pairs
                toggle = (path_with_removed_args(self.request, {key: value}) if selected
                          else path_with_added_args(self.request, {key: value}))
                values.append({
                    "value": value, "label": value, "count": row["count"],
                    "toggle_url": self.ds.absolute_url(self.request, toggle), "selected": selected,
                })
            results.append({
                "name": column, "type": self.type, "results": values,
                "hideable": source != "metadata",
                "toggle_url": path_with_removed_args(self.request, {"_facet_tags": column}),
                "truncated": len(rows) > size,
            })
        return results, timed_out


class OnePassFacet(Facet):
    """Several facets counted in one pass over the matching rows: `{"onepass": "admin_level"}`,
    `{"onepass": "doc_types"}`, … in metadata.yml. A column holding JSON arrays counts its items
    (filter `col__arraycontains=工作总结`, or `col__contains=2023` for numbers), any other its values
    (`col=县`).

    Datasette runs one query per facet, and each visits every matching row again: for a common term
    (40,000 of 100,000 documents) that is five more seeks per match, the page's largest cost. Here the
    matching rows' facet columns are read once into a materialised temporary table, and each count
    runs on that."""

    type = "onepass"

    async def suggest(self):
        return []

    async def facet_results(self):
        configs = self.get_configs()
        if not configs:
            return [], []
        columns = list(dict.fromkeys(c["config"].get("column") or c["config"]["simple"] for c in configs))
        sources = {c["config"].get("column") or c["config"]["simple"]: c["source"] for c in configs}
        arrays = await self._array_columns(columns)
        size = self.get_facet_size()
        cols = ", ".join(escape_sqlite(c) for c in columns)
        parts = []
        for i, column in enumerate(columns):
            col = escape_sqlite(column)
            if column in arrays:
                parts.append(f"select * from (select {i} as facet, j.value as value, count(*) as count from m, "
                             f"json_each(case when json_valid(m.{col}) then m.{col} else '[]' end) as j "
                             f"group by j.value order by count desc, value limit {size + 1})")
            else:
                parts.append(f"select * from (select {i} as facet, {col} as value, count(*) as count from m "
                             f"where {col} is not null and {col} != '' group by {col} "
                             f"order by count desc, value limit {size + 1})")
        counts = " union all ".join(parts)
        # Through the covering index of the facet columns (pipelines/store.py FACET_INDEX) when the
        # filters need nothing else: its narrow entries are scanned instead of seeking every matching
        # row of the table. A filter on another column makes SQLite refuse the index: then as it is.
        fast = re.sub(r"^(\s*select .*? from )(\[?documents\]?)(\s|$)", rf"\1\2 indexed by {FACET_INDEX}\3",
                      self.sql, count=1, flags=re.S | re.I) if self.table == "documents" else self.sql
        rows = None
        for inner in dict.fromkeys([fast, self.sql]):
            sql = f"with m as materialized (select {cols} from ({inner})) {counts}"
            try:
                rows = (await self.ds.execute(
                    self.database, sql, self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )).rows
                break
            except Exception as e:  # noqa: BLE001 - a timed-out facet is reported, not fatal
                if e.__class__.__name__ == "QueryInterrupted":
                    return [], columns
                if inner is self.sql or "no query solution" not in str(e) and "no such index" not in str(e):
                    raise
        pairs = self.get_querystring_pairs()
        by_facet: dict[int, list] = {}
        for row in rows:
            by_facet.setdefault(row["facet"], []).append(row)
        results = []
        for i, column in enumerate(columns):
            found = by_facet.get(i, [])
            values = []
            for row in found[:size]:
                value = str(row["value"])
                if column not in arrays:
                    key = column if not column.startswith("_") else f"{column}__exact"
                else:  # arraycontains compares text with the items: never equal for numbers (years)
                    key = f"{column}__arraycontains" if isinstance(row["value"], str) else f"{column}__contains"
                selected = (key, value) in pairs
                toggle = (path_with_removed_args(self.request, {key: value}) if selected
                          else path_with_added_args(self.request, {key: value}))
                shown = value if column in arrays else row["value"]  # array items as text, as Datasette's array facet
                values.append({"value": shown, "label": shown, "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, toggle), "selected": selected})
            results.append({
                "name": column, "type": "array" if column in arrays else "column", "results": values,
                "hideable": sources[column] != "metadata",
                "toggle_url": path_with_removed_args(self.request, {"_facet_onepass": column}),
                "truncated": len(found) > size,
            })
        return results, []

    async def _array_columns(self, columns: list[str]) -> set[str]:
        """The columns whose first non-empty value in the table is a JSON array."""
        out = set()
        for column in columns:
            col = escape_sqlite(column)
            row = (await self.ds.execute(
                self.database, f"select {col} from {escape_sqlite(self.table)} where {col} is not null "
                f"and {col} != '' limit 1", truncate=False)).rows
            value = row[0][0] if row else None
            if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
                out.add(column)
        return out


@hookimpl
def register_facet_classes():
    return [YearFacet, TagsFacet, OnePassFacet]
