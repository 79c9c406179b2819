"""corpus.db: the one module that owns the schema and every write to it.

Tables (see docs/architecture.md):
  pages       every fetched response, body zstd-compressed (older rows: zlib), so extraction can be re-run
              offline; a request that got no response at all is a row too (status 0, `error` says why)
  documents   one row per distinct document
  documents_facets  its short columns (site, admin_level, doc_types, years, …), one narrow row per
              document kept by plain-SQL triggers, for facets that must not read the texts
  duplicates  a page's document that was not stored because another one is (`dup_of`)
  rejected    what was fetched and kept out, with a reason code
  crawl_runs  one row per crawl or ingest run

Extensions: the parts of a corpus beyond these tables (the dedup index, the sites' boilerplate, the
full-text index, the crawler's page roles) are `Extension` records, named when a corpus is opened
(`open_db(path, extensions=…)`, default `pipelines.defaults.CORPUS_EXTENSIONS`): which tables a
corpus has never depends on what a process happened to import.

Invariant: every (url, part) that came out of a fetched page sits in exactly one of documents,
duplicates and rejected. `record_*` keep it by deleting the other two rows in the same transaction.
WAL mode, and every write in a transaction, so a kill never leaves a half-written page behind.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import sqlite3
import threading
import urllib.parse
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlite_utils
import zstandard

from . import defaults
from .model import REPORT_FIELDS, REPORT_LISTS, Document, Page, Rejection, document_id, utcnow

if TYPE_CHECKING:
    from .model import SiteHints

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1

OUTCOME_TABLES = ("documents", "duplicates", "rejected")


class StoreError(Exception):
    """The database cannot be opened or written; the message is meant for the user."""


@dataclass(frozen=True)
class Extension:
    """A part of a corpus beyond the core tables, set up by whoever opens the corpus and names it.

    ensure_schema(db): create (idempotent) its tables, indexes and triggers; run by `ensure_schema`
    after the core schema, in the order the extensions are named.
    before_commit(db): optional; run at the end of every outermost `transaction`, before COMMIT, and
    not when the transaction rolls back (the search index indexes a batch's documents at once).
    hints(db, page): optional; the SiteHints a stored page is extracted again with, or None
    (`pipelines.ingest.stored_hints` asks the corpus's extensions in order; the first answer wins).
    """
    name: str
    ensure_schema: Callable[[sqlite_utils.Database], None]
    before_commit: Callable[[sqlite_utils.Database], None] | None = None
    hints: Callable[[sqlite_utils.Database, Page], SiteHints | None] | None = None


def load_extensions(specs: Iterable[Extension | str]) -> tuple[Extension, ...]:
    """Extension records from `specs`: records, or their import paths ("package.module.NAME"), which
    are imported here, when a corpus is opened, so a list of them costs nothing to name."""
    loaded = []
    for spec in specs:
        extension = spec
        if isinstance(spec, str):
            module, _, name = spec.rpartition(".")
            try:
                extension = getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError, ValueError) as e:
                raise StoreError(f"corpus extension {spec!r}: cannot be loaded ({e})") from e
        if not isinstance(extension, Extension):
            raise StoreError(f"corpus extension {spec!r} is not a pipelines.store.Extension")
        loaded.append(extension)
    return tuple(loaded)


# the extensions each open corpus was set up with (ensure_schema), for `transaction` and `stored_hints`
_EXTENSIONS: weakref.WeakKeyDictionary[sqlite_utils.Database, tuple[Extension, ...]] = weakref.WeakKeyDictionary()


def extensions_of(db: sqlite_utils.Database) -> tuple[Extension, ...]:
    """The extensions `db` was opened with (none for a database opened otherwise)."""
    return _EXTENSIONS.get(db, ())


SQLITE_HEADER = b"SQLite format 3\x00"
# The tables every docsites corpus has, with columns its code cannot do without: a database whose
# table of one of these names lacks them belongs to another application.
CORE_COLUMNS = {"_schema": {"version"}, "pages": {"url", "body", "status"},
                "documents": {"id", "url", "part", "text"}, "duplicates": {"url", "part", "dup_of"},
                "rejected": {"url", "part", "reason"}}


def readonly_uri(path: str, immutable: bool = False) -> str:
    """The `file:` URI that opens `path` read-only; `#`, `?` and `%` in a path are escaped, as a
    URI needs (a raw path cut at them and opened another file, or none)."""
    uri = "file:" + urllib.parse.quote(os.path.abspath(path), safe="/") + "?mode=ro"
    return uri + "&immutable=1" if immutable else uri


def connect_readonly(path: str) -> sqlite3.Connection:
    """A connection that cannot write `path` (mode=ro, query_only). A corpus in WAL mode whose
    file or folder the user cannot write (a corpus on read-only media, or shared read-only) cannot
    be opened even read-only; it is then opened as immutable: nobody can be changing it."""
    if not os.path.exists(path):
        raise StoreError(f"{path}: no such database")
    try:
        conn = sqlite3.connect(readonly_uri(path), uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            if writable(path):
                raise
            conn = sqlite3.connect(readonly_uri(path, immutable=True), uri=True)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA query_only = 1")
        return conn
    except sqlite3.DatabaseError as e:
        raise StoreError(f"cannot read database {path}: {e}") from e


def writable(path: str) -> bool:
    """The user can change `path` (and create the journal files beside it)."""
    return os.access(path, os.W_OK) and os.access(os.path.dirname(os.path.abspath(path)), os.W_OK)


def corpus_problem(path: str) -> str | None:
    """Why the existing file `path` is not a docsites corpus (None if it is one, or a file a corpus
    may be created in: empty, or an SQLite database without tables). Reads only."""
    with open(path, "rb") as f:
        header = f.read(len(SQLITE_HEADER))
    if not header:
        return None
    if header != SQLITE_HEADER:
        return "not an SQLite database"
    conn = connect_readonly(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        if not tables:
            return None
        if "_schema" not in tables:
            listed = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
            return f"not a docsites corpus (it holds other tables: {listed})"
        for table, needed in CORE_COLUMNS.items():
            if table in tables:
                have = {r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")}
                if not needed <= have:
                    return f"not a docsites corpus (its {table} table has no {', '.join(sorted(needed - have))})"
        return None
    except sqlite3.DatabaseError as e:
        return f"not readable as a database ({e})"
    finally:
        conn.close()


def open_readonly(path: str) -> sqlite_utils.Database:
    """The existing corpus at `path`, opened so nothing can write it (for verbs that only read).
    Raises StoreError for a missing file, or one that is not a docsites corpus."""
    if not os.path.exists(path):
        raise StoreError(f"{path}: no such database")
    problem = corpus_problem(path) or (None if os.path.getsize(path) else "an empty file, not a docsites corpus")
    if problem:
        raise StoreError(f"{path}: {problem}")
    conn = connect_readonly(path)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = '_schema'").fetchone() is None:
        conn.close()
        raise StoreError(f"{path}: an empty database, not a docsites corpus")
    return sqlite_utils.Database(conn)


def open_db(path: str, extensions: Iterable[Extension | str] = defaults.CORPUS_EXTENSIONS) -> sqlite_utils.Database:
    """Open (creating and migrating if needed) the corpus database at `path`, with the parts named in
    `extensions` (Extension records or their import paths) set up. A file that is not a docsites
    corpus (another application's database, not a database at all) is refused with StoreError
    before anything is written to it, as is an extension that cannot be loaded."""
    extensions = load_extensions(extensions)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise StoreError(f"cannot open database {path}: folder {folder} does not exist")
    if os.path.isdir(path):
        raise StoreError(f"cannot open database {path}: it is a folder")
    if os.path.exists(path) and (problem := corpus_problem(path)):
        raise StoreError(f"{path}: {problem}; refusing to change it")
    try:
        db = sqlite_utils.Database(path)
        db.execute("PRAGMA busy_timeout = 30000")
        # With WAL, NORMAL still never corrupts the file and survives a killed process; only a
        # power cut can lose the last commits. FULL would fsync on every commit.
        db.execute("PRAGMA synchronous = NORMAL")
        ensure_schema(db, extensions)
    except sqlite_utils.db.sqlite3.DatabaseError as e:  # not a database, locked, read-only …
        raise StoreError(f"cannot open database {path}: {e}") from e
    return db


def ensure_schema(db: sqlite_utils.Database, extensions: Iterable[Extension | str] = defaults.CORPUS_EXTENSIONS) -> None:
    """The core schema, then each extension's, in order; `transaction(db)` then runs the extensions'
    `before_commit` and `pipelines.ingest.stored_hints` asks their `hints`."""
    extensions = load_extensions(extensions)
    if db.journal_mode != "wal" and db.memory is False:
        db.enable_wal()
    tables = set(db.table_names())
    with db.atomic():
        if "pages" not in tables:
            db.table("pages").create(
                {
                    "url": str, "final_url": str, "status": int, "fetched_at": str,
                    "content_type": str, "encoding": str, "etag": str, "last_modified": str,
                    "kind": str, "body": bytes, "sha1": str, "run_id": int,
                },
                pk="url",
            )
        if "documents" not in tables:
            _create_documents(db, "documents")
        elif [c for c in db.table("documents").columns_dict if c in DOCUMENT_COLUMNS] != list(DOCUMENT_COLUMNS):
            _migrate_documents(db)
        ensure_facet_table(db)
        if "duplicates" not in tables:
            db.table("duplicates").create(
                {
                    "url": str, "part": int, "title": str, "site": str, "dup_of": str,
                    "kind": str, "similarity": float, "seen_at": str,
                },
                pk=("url", "part"),
            )
            db.table("duplicates").create_index(["dup_of"])
        if "rejected" not in tables:
            db.table("rejected").create(
                {
                    "url": str, "part": int, "site": str, "title": str, "reason": str,
                    "detail": str, "seen_at": str,
                },
                pk=("url", "part"),
            )
            db.table("rejected").create_index(["reason"])
        if "crawl_runs" not in tables:
            db.table("crawl_runs").create(
                {
                    "id": int, "spider": str, "arguments": str, "started_at": str,
                    "finished_at": str, "finish_reason": str, "stats": str,
                },
                pk="id",
            )
        if "error" not in db.table("pages").columns_dict:  # corpora from before fetch failures were rows
            db.table("pages").add_column("error", str)
        # the incremental lookup asks for a URL as requested or as redirected to: without this
        # index every request of a crawl would scan the whole pages table
        db.table("pages").create_index(["final_url"], if_not_exists=True)
        if "_schema" not in tables:
            db.table("_schema").insert({"version": SCHEMA_VERSION}, pk="version")
    for extension in extensions:
        extension.ensure_schema(db)
    _EXTENSIONS[db] = extensions


# The columns of `documents`, in order. What facets, filters and sorts read over many rows comes
# before `text`: a row's short columns then sit on its b-tree page, and a column after the text is
# reached only through the text's overflow chain. After it: what is read one row at a time.
# doc_types and years are JSON arrays (Datasette array facets); report metadata: pipelines/extract/docmeta.py
DOCUMENT_COLUMNS = {
    "id": str, "url": str, "part": int, "site": str, "title": str,
    **dict.fromkeys(REPORT_FIELDS, str),
    "published": str, "lang": str, "chars": int, "traditional": int, "truncated": int,
    "text": str,
    "content_hash": str, "meta": str, "quality": str, "first_seen": str, "updated_at": str,
}


def _create_documents(db: sqlite_utils.Database, name: str) -> None:
    db.table(name).create(DOCUMENT_COLUMNS, pk="id", not_null=["url", "part", "text"])
    db.table(name).create_index(["url", "part"], unique=True, index_name="idx_documents_url_part")
    db.table(name).create_index(["content_hash"], index_name="idx_documents_content_hash")
    db.table(name).create_index(["site"], index_name="idx_documents_site")


# The short columns that facets count and filters test, copied into the narrow table
# `documents_facets` (one row of ~100 bytes per document, keyed by its rowid), where a search's
# count and facets read them without visiting the rows of `documents`, each of which is a text.
# Kept by plain-SQL triggers, as the search index is, so any SQLite tool can write the corpus; the
# Datasette plugin's facets read it (docsites/datasette_plugin.py).
FACET_COLUMNS = ("site", "admin_level", "department", "region", "doc_date", "published", "lang", "chars",
                 "traditional", "truncated", "doc_types", "years")
FACET_TABLE = "documents_facets"
FACET_TRIGGERS = ("documents_facets_insert", "documents_facets_delete", "documents_facets_update")
# The default facets (docsites/metadata.yml), indexed in the narrow table: the whole table's counts
# walk an index in order instead of sorting every row.
FACET_INDEXED = ("site", "doc_types", "admin_level", "department", "years")
FACET_OBJECTS = (FACET_TABLE, *FACET_TRIGGERS, *(f"{FACET_TABLE}_{c}" for c in FACET_INDEXED))
OLD_FACET_INDEX = "idx_documents_facets"  # the covering index it replaces


def _facet_schema_sql() -> list[str]:
    cols = ", ".join(f"[{c}]" for c in FACET_COLUMNS)
    new = ", ".join(f"new.[{c}]" for c in FACET_COLUMNS)
    copy = f"INSERT OR REPLACE INTO {FACET_TABLE} (doc_rowid, {cols}) VALUES (new.rowid, {new}); "
    changed = " OR ".join(f"old.[{c}] IS NOT new.[{c}]" for c in FACET_COLUMNS) + " OR old.rowid != new.rowid"
    types = {int: "INTEGER", str: "TEXT"}
    return [
        f"CREATE TABLE IF NOT EXISTS {FACET_TABLE} (doc_rowid INTEGER PRIMARY KEY, "
        + ", ".join(f"[{c}] {types[DOCUMENT_COLUMNS[c]]}" for c in FACET_COLUMNS) + ")",
        f"CREATE TRIGGER IF NOT EXISTS documents_facets_insert AFTER INSERT ON documents BEGIN {copy}END",
        f"CREATE TRIGGER IF NOT EXISTS documents_facets_delete AFTER DELETE ON documents "
        f"BEGIN DELETE FROM {FACET_TABLE} WHERE doc_rowid = old.rowid; END",
        f"CREATE TRIGGER IF NOT EXISTS documents_facets_update AFTER UPDATE ON documents WHEN {changed} "
        f"BEGIN DELETE FROM {FACET_TABLE} WHERE doc_rowid = old.rowid; {copy}END",
        *(f"CREATE INDEX IF NOT EXISTS {FACET_TABLE}_{c} ON {FACET_TABLE} ([{c}])" for c in FACET_INDEXED),
    ]


def _facet_objects(db: sqlite_utils.Database | sqlite3.Connection) -> dict[str, str]:
    """The SQL of the narrow table, its triggers and indexes, as sqlite_master holds it."""
    return dict(db.execute(f"SELECT name, sql FROM sqlite_master WHERE name IN ({', '.join('?' * len(FACET_OBJECTS))})",
                           FACET_OBJECTS).fetchall())


def _facet_objects_expected() -> dict[str, str]:
    return dict(zip(FACET_OBJECTS, (s.replace(" IF NOT EXISTS", "") for s in _facet_schema_sql()), strict=True))


def facet_table_current(db: sqlite_utils.Database | sqlite3.Connection) -> bool:
    """The narrow table and its triggers exist with the current columns, and hold one row per
    document (a tool that writes `INSERT OR REPLACE` without `PRAGMA recursive_triggers` deletes the
    replaced row without its delete trigger: then it holds one more). Reads only."""
    if _facet_objects(db) != _facet_objects_expected():
        return False
    return db.execute(f"SELECT (SELECT count(*) FROM documents) = (SELECT count(*) FROM {FACET_TABLE})").fetchone()[0]


def ensure_facet_table(db: sqlite_utils.Database) -> None:
    """Create the narrow facet table and its triggers (filled from documents), replacing an older
    layout, and bring it back in line with documents where a write bypassed its delete trigger."""
    if facet_table_current(db):
        return
    cols = ", ".join(f"[{c}]" for c in FACET_COLUMNS)
    schema = _facet_schema_sql()
    if _facet_objects(db) == _facet_objects_expected():
        # only rows out of step (triggers bypassed by INSERT OR REPLACE): those rows
        db.execute(f"DELETE FROM {FACET_TABLE} WHERE doc_rowid NOT IN (SELECT rowid FROM documents)")
        db.execute(f"INSERT INTO {FACET_TABLE} (doc_rowid, {cols}) SELECT rowid, {cols} FROM documents "
                   f"WHERE rowid NOT IN (SELECT doc_rowid FROM {FACET_TABLE})")
        return
    # missing, of an older layout, or some trigger missing (writes may have gone unrecorded): made again
    db.execute(f"DROP INDEX IF EXISTS {OLD_FACET_INDEX}")
    for trigger in FACET_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute(f"DROP TABLE IF EXISTS {FACET_TABLE}")
    table_and_triggers = 1 + len(FACET_TRIGGERS)
    for statement in schema[:table_and_triggers]:
        db.execute(statement)
    db.execute(f"INSERT INTO {FACET_TABLE} (doc_rowid, {cols}) SELECT rowid, {cols} FROM documents")
    for statement in schema[table_and_triggers:]:  # indexes, after the rows: faster
        db.execute(statement)


def report_metadata_row(doc: Document) -> dict:
    """The report metadata columns of a document (JSON arrays for the two lists)."""
    return {name: json.dumps(getattr(doc, name), ensure_ascii=False) if name in REPORT_LISTS else getattr(doc, name)
            for name in REPORT_FIELDS}


def _migrate_documents(db: sqlite_utils.Database) -> None:
    """A corpus from before the report metadata (or with another column order): `documents` is
    rebuilt in the current column order, rowids kept (the search index is keyed by them), and the new columns filled
    from each document's title and text. Runs once, inside ensure_schema's transaction."""
    from .extract import docmeta
    old = list(db.table("documents").columns_dict)
    missing = [c for c in REPORT_FIELDS if c not in old]
    logger.info("documents: adding the report metadata columns (%d documents)", db.table("documents").count)
    db.execute("DROP TABLE IF EXISTS documents_migrating")
    for (index,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents' "
                               "AND sql IS NOT NULL").fetchall():
        db.execute(f"DROP INDEX [{index}]")  # their names are the new table's
    _create_documents(db, "documents_migrating")
    for column in old:  # a column someone added by hand is kept (after the text)
        if column not in DOCUMENT_COLUMNS:
            db.execute(f"ALTER TABLE documents_migrating ADD COLUMN [{column}]")
    cols = ", ".join(f"[{c}]" for c in old)
    db.execute(f"INSERT INTO documents_migrating (rowid, {cols}) SELECT rowid, {cols} FROM documents")
    # its triggers go with it and come back as they were: the rowids are kept, so the search index
    # stays valid and is not rebuilt
    triggers = [r[0] for r in db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'documents'").fetchall()]
    db.execute("DROP TABLE documents")
    db.execute("ALTER TABLE documents_migrating RENAME TO documents")
    for sql in triggers:
        db.execute(sql)
    if not missing:
        return
    rows = db.execute("SELECT rowid, title, text FROM documents").fetchall()
    for rowid, title, text in rows:
        meta = report_metadata_row(Document(url="", **docmeta.describe(title, text).to_json()))
        db.execute(f"UPDATE documents SET {', '.join(f'[{k}] = ?' for k in meta)} WHERE rowid = ?",
                   [*meta.values(), rowid])


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A transaction, or a savepoint inside the one already open. An outermost one runs the
    `before_commit` of the extensions `db` was opened with after its body, before COMMIT."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    with db.atomic():
        yield db
        for extension in extensions_of(db):
            if extension.before_commit is not None:
                extension.before_commit(db)


# zstd level 3 compresses an HTML page about 5x faster than zlib level 6, and smaller (measured on
# the devset's real pages: 0.46 vs 2.6 ms, 20.0 vs 20.5 % of the size); it runs once per fetched page.
ZSTD_LEVEL = 3
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


_per_thread = threading.local()  # a ZstdCompressor is not thread-safe


def compress(body: bytes) -> bytes:
    compressor = getattr(_per_thread, "zstd", None)
    if compressor is None:
        compressor = _per_thread.zstd = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    return compressor.compress(body)


def decompress(blob: bytes | None) -> bytes:
    """A stored body: zstd frames, or zlib streams written before zstd (told apart by the magic)."""
    if not blob:
        return b""
    if blob[:4] == ZSTD_MAGIC:
        return zstandard.ZstdDecompressor().decompress(blob)
    return zlib.decompress(blob)


def _upsert(db: sqlite_utils.Database, table: str, row: dict, pk: tuple[str, ...]) -> None:
    """INSERT … ON CONFLICT DO UPDATE in one statement: the per-page write path runs this a few
    times a page, and sqlite-utils' upsert re-reads the table's schema on every call."""
    cols = ", ".join(f"[{c}]" for c in row)
    marks = ", ".join("?" for _ in row)
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in row if c not in pk)
    db.execute(
        f"INSERT INTO [{table}] ({cols}) VALUES ({marks}) "
        f"ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {updates}",
        list(row.values()),
    )


def save_page(db: sqlite_utils.Database, page: Page, encoding: str | None = None) -> None:
    headers = page.headers
    _upsert(
        db, "pages",
        {
            "url": page.url,
            "final_url": page.final_url or page.url,
            "status": page.status,
            "fetched_at": page.fetched_at,
            "content_type": headers.get("content-type"),
            "encoding": encoding,
            "etag": headers.get("etag"),
            "last_modified": headers.get("last-modified"),
            "kind": page.kind,
            "body": compress(page.body),
            "sha1": page.sha1,
            "run_id": page.run_id,
            "error": page.error,
        },
        pk=("url",),
    )


def load_page(row: dict) -> Page:
    headers = {
        k: row[col]
        for k, col in (("content-type", "content_type"), ("etag", "etag"), ("last-modified", "last_modified"))
        if row.get(col)
    }
    return Page(
        url=row["url"], body=decompress(row["body"]), kind=row.get("kind") or "html",
        status=row["status"], final_url=row.get("final_url"), headers=headers,
        fetched_at=row["fetched_at"], run_id=row.get("run_id"), error=row.get("error"),
    )


def load_document(row: dict) -> Document:
    """A `documents` row as the Document it was stored from."""
    return Document(url=row["url"], part=row["part"], site=row["site"], title=row["title"],
                    text=row["text"], lang=row["lang"], traditional=bool(row["traditional"]),
                    truncated=bool(row["truncated"]), published=row["published"],
                    meta=json.loads(row["meta"] or "{}"), quality=json.loads(row["quality"] or "{}"),
                    # the report metadata travels with the document (re-clustering does not re-extract)
                    **_report_metadata(row))


def _report_metadata(row: dict) -> dict[str, Any]:
    return {name: json.loads(row.get(name) or "[]") if name in REPORT_LISTS else row.get(name)
            for name in REPORT_FIELDS}


def stored_documents(db: sqlite_utils.Database, url: str) -> list[tuple[str, Document]]:
    """(id, Document) of every document stored from the page `url`."""
    cursor = db.execute("SELECT * FROM documents WHERE url = ? ORDER BY part", [url])
    columns = [c[0] for c in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return [(row["id"], load_document(row)) for row in rows]


def get_page(db: sqlite_utils.Database, url: str) -> Page | None:
    """The stored page fetched from `url`, or None."""
    cursor = db.execute("SELECT * FROM pages WHERE url = ?", [url])
    row = cursor.fetchone()
    return load_page(dict(zip([c[0] for c in cursor.description], row, strict=True))) if row else None


def _clear_outcome(db: sqlite_utils.Database, url: str, part: int, keep: str) -> None:
    for table in OUTCOME_TABLES:
        if table != keep:
            db.execute(f"DELETE FROM [{table}] WHERE url = ? AND part = ?", [url, part])


def clear_page_outcomes(db: sqlite_utils.Database, url: str, keep_parts: int = 0) -> None:
    """Forget outcomes for parts >= keep_parts of a page (a re-extraction found fewer documents)."""
    for table in OUTCOME_TABLES:
        db.execute(f"DELETE FROM [{table}] WHERE url = ? AND part >= ?", [url, keep_parts])


def record_document(db: sqlite_utils.Database, doc: Document, content_hash: str, doc_id: str | None = None) -> str:
    """Store `doc` (insert or update in place); returns its id. Run inside a transaction."""
    now = utcnow()
    doc_id = doc_id or document_id(doc.url, doc.part)
    _clear_outcome(db, doc.url, doc.part, keep="documents")
    existing = db.execute("SELECT first_seen FROM documents WHERE id = ?", [doc_id]).fetchone()
    row = {
        "id": doc_id, "url": doc.url, "part": doc.part, "site": doc.site, "title": doc.title,
        "text": doc.text, "chars": len(doc.text), "lang": doc.lang, "published": doc.published,
        "traditional": int(doc.traditional), "truncated": int(doc.truncated),
        "content_hash": content_hash, **report_metadata_row(doc),
        "meta": json.dumps(doc.meta, ensure_ascii=False),
        "quality": json.dumps(doc.quality, ensure_ascii=False),
        "first_seen": existing[0] if existing else now, "updated_at": now,
    }
    # (url, part) may belong to another id when the better copy of a document moved here.
    db.execute("DELETE FROM documents WHERE url = ? AND part = ? AND id != ?", [doc.url, doc.part, doc_id])
    _upsert(db, "documents", row, pk=("id",))
    return doc_id


def record_duplicate(db: sqlite_utils.Database, doc: Document, dup_of: str, kind: str, similarity: float) -> None:
    _clear_outcome(db, doc.url, doc.part, keep="duplicates")
    _upsert(
        db, "duplicates",
        {
            "url": doc.url, "part": doc.part, "title": doc.title, "site": doc.site,
            "dup_of": dup_of, "kind": kind, "similarity": round(float(similarity), 4),
            "seen_at": utcnow(),
        },
        pk=("url", "part"),
    )


def record_rejection(db: sqlite_utils.Database, rej: Rejection) -> None:
    _clear_outcome(db, rej.url, rej.part, keep="rejected")
    _upsert(
        db, "rejected",
        {
            "url": rej.url, "part": rej.part, "site": rej.site, "title": rej.title,
            "reason": rej.reason, "detail": rej.detail[:500], "seen_at": utcnow(),
        },
        pk=("url", "part"),
    )


def start_run(db: sqlite_utils.Database, spider: str, arguments: dict) -> int:
    with transaction(db):
        table = db.table("crawl_runs").insert(
            {
                "spider": spider,
                "arguments": json.dumps(arguments, ensure_ascii=False, default=str),
                "started_at": utcnow(),
            }
        )
    if table.last_pk is None:  # sqlite gives every inserted row a rowid: not reached
        raise StoreError("crawl_runs: the new run got no id")
    return table.last_pk


def finish_run(db: sqlite_utils.Database, run_id: int, reason: str, stats: dict) -> None:
    with transaction(db):
        db.table("crawl_runs").update(
            run_id,
            {
                "finished_at": utcnow(),
                "finish_reason": reason,
                "stats": json.dumps(stats, ensure_ascii=False, default=str),
            },
        )


def check_invariant(db: sqlite_utils.Database) -> list[str]:
    """Problems with the one-place rule; an empty list means the corpus accounts for every page."""
    problems = []
    for url, part, n in db.execute(
        """SELECT url, part, count(*) FROM (
               SELECT url, part FROM documents UNION ALL
               SELECT url, part FROM duplicates UNION ALL
               SELECT url, part FROM rejected)
           GROUP BY url, part HAVING count(*) != 1"""
    ).fetchall():
        problems.append(f"{url}#{part} is in {n} outcome tables")
    for (url,) in db.execute(
        """SELECT url FROM pages WHERE url NOT IN (
               SELECT url FROM documents UNION SELECT url FROM duplicates
               UNION SELECT url FROM rejected)"""
    ).fetchall():
        problems.append(f"{url} was fetched but has no outcome")
    for url, part, dup_of in db.execute(
        "SELECT url, part, dup_of FROM duplicates WHERE dup_of NOT IN (SELECT id FROM documents)"
    ).fetchall():
        problems.append(f"{url}#{part} points at missing document {dup_of}")
    return problems
