"""Full-text search over documents for Chinese terms of any length, one character up.

SQLite's unicode61 tokenizer reads a run of Han characters as one token, and the trigram
tokenizer finds nothing shorter than three characters. So the index is built on *windows*:
every character position of a document contributes the two characters starting there,
`北京科技` is indexed as `北京 京科 科技 技`. unicode61 then sees bigram tokens (and a unigram
where the next character is punctuation or the end), the same for every script.

A query is windowed the same way and becomes an FTS5 phrase of its bigrams: `科技` is the one
token `科技`, `北京科技` the phrase `"北京 京科 科技"` (consecutive windows are consecutive
tokens, so the phrase matches exactly where the substring occurs). A one-character query is a
prefix query `"科"*`: every occurrence of a character starts exactly one token.

The index (`documents_fts`) is contentless (it stores no text, only the inverted index). Its
triggers on `documents` are plain SQL, so corpus.db stays a plain SQLite file that any tool can write
(the sqlite3 shell, sqlite-utils, Datasette without the plugin): an insert marks the row in
`documents_fts_pending`; a delete or an update copies the row's indexed title and text into
`documents_fts_stale` (a contentless FTS5 table can only forget a row given the tokens it was indexed
with, and SQLite 3.40 has no `contentless_delete`) and the update marks the new version pending.
`flush` then does the windowing in Python: it takes the stale tokens out and indexes the pending
rows, in one statement each. docsites flushes at the end of every `store.transaction` (before
COMMIT: the crawl writer, ingest, rebuild, merge) and whenever it opens a corpus (`store.open_db`,
`docsites serve`), so a change made with another tool is searchable once docsites next opens it.
Until then a row it deleted is never returned (the search joins on `documents`), and a row it
updated is found by its old words, not yet by its new ones.

Indexing a batch at the end of a transaction is also the fast path: FTS5 writes its in-memory
terms out as a new segment at every savepoint, and a trigger runs in one, so a document indexed by
its own trigger became a segment of its own (1.0 ms per 3,000-character document against 0.5 ms
batched). `rebuild(db)` re-creates the index from scratch (after a VACUUM, which may renumber
rowids).
"""
from __future__ import annotations

import html
import logging
import os
import re
import sqlite3

import numpy as np
import sqlite_utils

from . import store

logger = logging.getLogger(__name__)

FTS_TABLE = "documents_fts"
PENDING_TABLE = "documents_fts_pending"  # rowids of documents to index
STALE_TABLE = "documents_fts_stale"  # rowid, title and text of index entries to take out
INDEXED_COLUMNS = ("title", "text")
TRIGGERS = ("documents_fts_insert", "documents_fts_delete", "documents_fts_update")
TABLES = (FTS_TABLE, PENDING_TABLE, STALE_TABLE)

# The SQL function that windows text; registered on docsites' own connections, used by `flush`
# and `rebuild` (never by a trigger: any SQLite tool can write the corpus).
WINDOWS_FUNCTION = "docsites_windows"


def windows(text: str | None) -> str | None:
    """The window string of a text: the two characters at each position, space-separated
    (`北京科技` → `北京 京科 科技 技`); None for None or ''.

    Deterministic, which a contentless index needs: a delete must hand FTS5 exactly the tokens
    that were inserted.
    """
    if not text:
        return None
    # built as UTF-32 code units in numpy (rows of: character, next character, space; then the
    # last character alone): 0.02 ms for 3,000 characters against 0.3 ms for a Python join, and
    # the crawl's single writer runs this for every document it stores
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    grid = np.empty((cp.size - 1, 3), dtype=np.uint32)
    grid[:, 0] = cp[:-1]
    grid[:, 1] = cp[1:]
    grid[:, 2] = 0x20
    return (grid.tobytes() + cp[-1:].tobytes()).decode("utf-32-le", "surrogatepass")


def _values(prefix: str) -> str:
    return ", ".join(f"{WINDOWS_FUNCTION}({prefix}.{c})" for c in INDEXED_COLUMNS)


def _trigger_body(old: bool, new: bool) -> str:
    """Plain SQL: a row's old version goes to the stale table (if it was indexed) and its new one
    is marked pending; `flush` does the rest."""
    cols = ", ".join(INDEXED_COLUMNS)
    body = ""
    if old:  # a row still pending was never indexed: only its mark goes
        body += (f"INSERT OR IGNORE INTO {STALE_TABLE}(doc_rowid, {cols}) "
                 f"SELECT old.rowid, {', '.join('old.' + c for c in INDEXED_COLUMNS)} "
                 f"WHERE NOT EXISTS (SELECT 1 FROM {PENDING_TABLE} WHERE doc_rowid = old.rowid); "
                 f"DELETE FROM {PENDING_TABLE} WHERE doc_rowid = old.rowid; ")
    if new:
        body += f"INSERT OR IGNORE INTO {PENDING_TABLE}(doc_rowid) VALUES (new.rowid); "
    return body


def _schema_sql() -> list[str]:
    cols = ", ".join(INDEXED_COLUMNS)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in INDEXED_COLUMNS) + " OR old.rowid != new.rowid"
    return [
        # remove_diacritics 0: fold case only; keeps the index as literal as the text.
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({cols}, content='', "
        f"tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TABLE IF NOT EXISTS {PENDING_TABLE} (doc_rowid INTEGER PRIMARY KEY)",
        f"CREATE TABLE IF NOT EXISTS {STALE_TABLE} (doc_rowid INTEGER PRIMARY KEY, {cols})",
        f"CREATE TRIGGER IF NOT EXISTS documents_fts_insert AFTER INSERT ON documents "
        f"BEGIN {_trigger_body(old=False, new=True)}END",
        f"CREATE TRIGGER IF NOT EXISTS documents_fts_delete AFTER DELETE ON documents "
        f"BEGIN {_trigger_body(old=True, new=False)}END",
        f"CREATE TRIGGER IF NOT EXISTS documents_fts_update AFTER UPDATE ON documents WHEN {changed} "
        f"BEGIN {_trigger_body(old=True, new=True)}END",
        # Browsing sorts by publication date (docsites/metadata.yml); without this every page of
        # the documents table is a full sort.
        "CREATE INDEX IF NOT EXISTS documents_published ON documents(published)",
    ]


def ensure_search_schema(db: sqlite_utils.Database) -> None:
    """SEARCH_INDEX's schema: create the index and its triggers (filled if new), and index what
    was written since docsites last had the corpus open (`flush`).

    DOCSITES_SEARCH_INDEX=0 in the environment skips creating it (bulk loads that measure
    something else; each indexed 3,000-character document costs about 0.5 ms). An index that exists is kept
    current regardless: its triggers live in the database.
    """
    # INSERT OR REPLACE deletes the old row without firing delete triggers unless this is on;
    # the contentless index would keep the old row's tokens. Per connection.
    db.execute("PRAGMA recursive_triggers = ON")
    register_windows(db.conn)
    names = TABLES + TRIGGERS
    have = dict(db.execute(
        f"SELECT name, sql FROM sqlite_master WHERE name IN ({', '.join('?' * len(names))})", names).fetchall())
    if FTS_TABLE not in have and os.environ.get("DOCSITES_SEARCH_INDEX", "1").strip().lower() in (
            "0", "off", "no", "false"):
        return
    # triggers of older corpora (calling docsites_windows, which no other tool has): replaced, and
    # the index kept, since they indexed the same tokens
    outdated = [t for t in TRIGGERS if t in have and STALE_TABLE not in (have[t] or "")]
    current = all(n in have for n in names) and not outdated
    # looked for without taking the write lock, which a crawl's writer may hold while another
    # command opens the corpus
    if not current or pending(db):
        with db.atomic():  # one transaction: the index and its triggers appear together, filled
            for trigger in outdated:
                db.execute(f"DROP TRIGGER {trigger}")
            for statement in _schema_sql():
                db.execute(statement)
            if FTS_TABLE not in have or not all(t in have for t in TRIGGERS):
                _fill(db)  # without triggers, writes may have gone unrecorded
            n = flush(db)
            if n:
                logger.info("search index: %d documents written since docsites last opened the corpus", n)


def pending(db: sqlite_utils.Database) -> int:
    """Documents waiting to be indexed plus index entries waiting to be taken out."""
    have = {r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE name IN (?, ?)", [PENDING_TABLE, STALE_TABLE]).fetchall()}
    return sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in sorted(have))


def _fill(db: sqlite_utils.Database) -> None:
    cols = ", ".join(INDEXED_COLUMNS)
    db.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")
    db.execute(f"DELETE FROM {PENDING_TABLE}")
    db.execute(f"DELETE FROM {STALE_TABLE}")
    n = db.execute(
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) SELECT rowid, {_values('d')} FROM documents AS d"
    ).rowcount
    if n:
        logger.info("search index: indexed %d documents", n)


def flush(db: sqlite_utils.Database) -> int:
    """Take the stale entries out of the index and index the pending documents, in rowid order
    (one FTS5 segment for the lot); returns how many documents were indexed."""
    present = {r[0] for r in db.execute(
        f"SELECT name FROM sqlite_master WHERE name IN ({', '.join('?' * len(TABLES))})", TABLES).fetchall()}
    if present != set(TABLES):
        return 0  # the index is gone or not made yet (open_db creates it)
    register_windows(db.conn)
    cols = ", ".join(INDEXED_COLUMNS)
    if db.execute(f"SELECT EXISTS (SELECT 1 FROM {STALE_TABLE})").fetchone()[0]:
        db.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) "
                   f"SELECT 'delete', s.doc_rowid, {_values('s')} FROM {STALE_TABLE} AS s ORDER BY s.doc_rowid")
        db.execute(f"DELETE FROM {STALE_TABLE}")
    if not db.execute(f"SELECT EXISTS (SELECT 1 FROM {PENDING_TABLE})").fetchone()[0]:
        return 0
    n = db.execute(
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) SELECT d.rowid, {_values('d')} FROM {PENDING_TABLE} AS p "
        f"JOIN documents AS d ON d.rowid = p.doc_rowid ORDER BY p.doc_rowid"
    ).rowcount
    db.execute(f"DELETE FROM {PENDING_TABLE}")
    return n


def deferred_indexing(db: sqlite_utils.Database) -> None:
    """SEARCH_INDEX before every COMMIT: the documents an outermost transaction wrote are indexed
    together just before it commits. On an exception the transaction rolls back, marks too."""
    flush(db)


def rebuild(db: sqlite_utils.Database) -> int:
    """Re-create the index from the documents table; returns the number of documents indexed."""
    db.execute("PRAGMA recursive_triggers = ON")
    register_windows(db.conn)
    with db.atomic():
        for trigger in TRIGGERS:  # older corpora's triggers call a function: made again
            db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in _schema_sql():
            db.execute(statement)
        _fill(db)
    return db.execute(f"SELECT count(*) FROM {FTS_TABLE}_docsize").fetchone()[0]


def check(db: sqlite_utils.Database) -> list[str]:
    """Problems with the index; empty when every document is indexed and nothing else is."""
    problems = []
    if FTS_TABLE not in db.table_names():
        return [f"no {FTS_TABLE} table"]
    missing = db.execute(
        f"SELECT count(*) FROM documents WHERE rowid NOT IN (SELECT id FROM {FTS_TABLE}_docsize)"
    ).fetchone()[0]
    stale = db.execute(
        f"SELECT count(*) FROM {FTS_TABLE}_docsize WHERE id NOT IN (SELECT rowid FROM documents)"
    ).fetchone()[0]
    waiting = pending(db)
    if waiting:
        problems.append(f"{waiting} changes written by another tool wait to be indexed (docsites indexes them "
                        f"the next time it opens the corpus)")
    elif missing:
        problems.append(f"{missing} documents are not in the search index")
    if stale:
        problems.append(f"{stale} index entries belong to no document")
    return problems


# ---------------------------------------------------------------------------- queries

_TERM_RE = re.compile(r'"([^"]*)"|(\S+)')


def query_terms(query: str) -> list[str]:
    """Whitespace separates terms (all must match); "double quotes" keep spaces inside a term."""
    return [a or b for a, b in _TERM_RE.findall(query or "") if (a or b).strip()]


def term_to_fts(term: str) -> str | None:
    """One term as an FTS5 expression on the window index, None if it has nothing searchable."""
    if len(term) == 1:
        if not term.isalnum():
            return None
        return '"' + term.replace('"', '""') + '"*'
    windows = [term[i:i + 2] for i in range(len(term) - 1)]
    phrase = " ".join(windows)
    # A term of punctuation only tokenises to nothing; FTS5 would reject the empty phrase.
    if not any(ch.isalnum() for ch in phrase):
        return None
    return '"' + phrase.replace('"', '""') + '"'


def script_variants(term: str) -> list[str]:
    """The term and, if it differs, its simplified form: documents are stored in simplified script,
    so 總結 finds 总结 (and a document kept unconverted, Japanese say, is still found as written)."""
    from .extract.convert import to_simplified
    simplified = to_simplified(term)
    return [term] if simplified == term else [term, simplified]


def to_fts_query(query: str) -> str:
    """The MATCH expression for a user's search box text (what `escape_fts` returns in Datasette).
    Traditional and simplified script find the same documents."""
    parts = []
    for term in query_terms(query):
        variants = [v for v in dict.fromkeys(term_to_fts(t) for t in script_variants(term)) if v]
        if variants:
            parts.append(variants[0] if len(variants) == 1 else "(" + " OR ".join(variants) + ")")
    # A query with nothing searchable matches nothing (rather than raising a syntax error).
    return " AND ".join(parts) if parts else '""'


def search(db: sqlite_utils.Database, query: str, limit: int = 20) -> list[dict]:
    """Documents matching `query`, newest first, with a highlighted snippet."""
    register_functions(db.conn)
    rows = db.execute(
        f"SELECT d.id, d.title, d.site, d.published, docsites_snippet(d.text, :q) AS snippet FROM documents AS d "
        f"WHERE d.rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH docsites_fts_query(:q)) "
        f"ORDER BY d.published DESC LIMIT :limit",
        {"q": query, "limit": limit},
    ).fetchall()
    return [dict(zip(("id", "title", "site", "published", "snippet"), r, strict=True)) for r in rows]


# ---------------------------------------------------------------------------- snippets

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def snippet(text: str | None, query: str, width: int = 60, max_parts: int = 3) -> str:
    """Text around the first matches of the query's terms, matches wrapped in <mark></mark>.

    Plain text otherwise (not HTML-escaped): the web view escapes it and lets only <mark> through.
    """
    if not text:
        return ""
    terms = [v for t in query_terms(query) if t.strip() for v in script_variants(t)]
    if not terms:
        return text[: 2 * width]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    spans, end_prev, parts = [], -1, []
    for m in pattern.finditer(text):
        if m.start() < end_prev:
            continue
        spans.append((m.start(), m.end()))
        end_prev = m.end() + width
        if len(spans) >= max_parts:
            break
    if not spans:
        return text[: 2 * width] + ("…" if len(text) > 2 * width else "")
    for start, end in spans:
        lo, hi = max(0, start - width), min(len(text), end + width)
        chunk = text[lo:hi]
        chunk = pattern.sub(lambda m: MARK_OPEN + m.group(0) + MARK_CLOSE, chunk)
        parts.append(("…" if lo > 0 else "") + chunk + ("…" if hi < len(text) else ""))
    return " ".join(parts)


def snippet_html(value: str) -> str:
    """HTML for a snippet: everything escaped, then only the <mark> tags restored."""
    escaped = html.escape(value or "", quote=True)
    return escaped.replace(html.escape(MARK_OPEN), MARK_OPEN).replace(html.escape(MARK_CLOSE), MARK_CLOSE)


def register_windows(conn: sqlite3.Connection) -> None:
    """The windowing function `flush`, `rebuild` and the index fill use (no trigger calls it)."""
    conn.create_function(WINDOWS_FUNCTION, 1, windows, deterministic=True)


def register_functions(conn: sqlite3.Connection) -> None:
    """SQL functions the web view and canned queries use: docsites_fts_query(q), docsites_snippet(text, q),
    and docsites_windows(text)."""
    register_windows(conn)
    conn.create_function("docsites_fts_query", 1, to_fts_query, deterministic=True)
    conn.create_function("docsites_snippet", 2, lambda t, q: snippet(t, q or ""), deterministic=True)


# The corpus extension (pipelines.defaults.CORPUS_EXTENSIONS): the index, kept current by every
# transaction of a corpus opened with it.
SEARCH_INDEX = store.Extension("search", ensure_search_schema, before_commit=deferred_indexing)
