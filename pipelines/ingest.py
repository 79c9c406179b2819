"""The whole chain for one page: extract -> dedup -> store, ending every page in exactly one place.

`Ingestor.ingest(page)` is what `docsites ingest`, `docsites rebuild` and the Scrapy item pipeline
call. Extraction is pure and may run elsewhere (a worker process): `Ingestor.store(page, result)`
takes its Extraction (a failure is one too, with its `problem`: `run_extraction`) and does the database part in one transaction (a
savepoint when the caller batches pages in a transaction of its own). `prepared()` runs that pure
part, and the dedup fingerprints of what it found, in worker processes for a stream of pages.
"""
from __future__ import annotations

import collections
import itertools
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import sqlite_utils

from . import defaults, store
from .dedup import DedupConfig, Deduplicator, Fingerprint, Match, fingerprint
from .extract import Extraction, SiteHints, extract_page, site_of
from .extract.boilerplate import Change, SiteBoilerplate
from .extract.decode import DecodeError
from .model import Document, HintsLookup, Page, Problem, Rejection, document_id
from .timelimit import DEFAULT_TIME_BUDGET, ExtractionTimeout, time_limit

logger = logging.getLogger(__name__)

# one definition with the crawl's (crawler/addon.py): pipelines/defaults.py
DEFAULT_KEEP_LANGUAGES = defaults.KEEP_LANGUAGES
DEFAULT_MIN_CHARS = defaults.MIN_DOCUMENT_CHARS


@dataclass
class Outcome:
    url: str
    part: int
    table: str  # documents | duplicates | rejected
    detail: str = ""  # document id, duplicate kind, or rejection reason


class Ingestor:
    def __init__(self, db: sqlite_utils.Database, keep_languages: Iterable[str] = DEFAULT_KEEP_LANGUAGES,
                 min_chars: int = DEFAULT_MIN_CHARS, keep_pages: bool = True, dedup: Deduplicator | None = None,
                 hints: HintsLookup | None = None) -> None:
        self.db = db
        # page -> SiteHints for a stored page read again (a re-homed duplicate): the profiles the
        # corpus was crawled with (crawler.pageroles.PageHints); default: what the extensions the
        # corpus was opened with know (`stored_hints`)
        self.hints = hints or (lambda page: stored_hints(db, page))
        self.boilerplate = SiteBoilerplate(db)  # the sites' chrome lines, learned page by page
        self.keep_languages = tuple(keep_languages)
        self.min_chars = min_chars
        self.keep_pages = keep_pages
        self.dedup = dedup or Deduplicator(db)
        self._primed: dict[int, Fingerprint] = {}  # id(document) -> its fingerprint, while it is stored

    def ingest(self, page: Page) -> list[Outcome]:
        return self.store(page, run_extraction(page))

    def store(self, page: Page, result: Extraction, fingerprints: list[Fingerprint] | None = None) -> list[Outcome]:
        """`fingerprints`: the dedup fingerprints of `result.documents`, one each, if they were
        taken with this index's config where the extraction ran (`prepare`)."""
        with store.transaction(self.db):
            if self.keep_pages:
                store.save_page(self.db, page, result.encoding)
            # the page's lines are counted first, so its own documents are cut with what it taught
            change = self.boilerplate.learn(page.url, result.documents)
            if fingerprints:
                for doc, fp in zip(result.documents, fingerprints, strict=True):
                    self._primed[id(doc)] = fp  # a document cut by the boilerplate is another object: not primed
            try:
                outcomes = self._store_page(page, result)
            finally:
                self._primed.clear()
            if change:
                self._reclean(change)
        return outcomes

    def _store_page(self, page: Page, result: Extraction) -> list[Outcome]:
        held = self._held(page.url)
        outcomes = self._outcomes(page, result)
        store.clear_page_outcomes(self.db, page.url, keep_parts=max(o.part for o in outcomes) + 1)
        self._rehome_orphans(held)
        return outcomes

    def _reclean(self, change: Change) -> None:
        """A site's chrome changed: its stored documents holding a line that became chrome are cut
        again, and the pages holding a line that stopped being chrome are extracted again, so every
        stored document reads as cut with the model as it is now (`docsites rebuild` gives the same)."""
        became, stopped = self.boilerplate.pages_holding(change)
        for url in stopped:
            if (page := store.get_page(self.db, url)) is not None:
                self._store_page(page, run_extraction(page, self.hints(page)))
        for url in became:
            for doc_id, doc in store.stored_documents(self.db, url):
                cut = self.boilerplate.strip(doc)
                if cut is not doc:
                    self._store_document(cut, prefer_id=doc_id)
                    self._rehome_orphans({doc_id})

    def _reject(self, url: str, reason: str, detail: str, part: int = 0, site: str | None = None,
                title: str | None = None) -> Outcome:
        store.record_rejection(self.db, Rejection(url, reason, detail, part, site, title))
        return Outcome(url, part, "rejected", reason)

    def _outcomes(self, page: Page, result: Extraction) -> list[Outcome]:
        if (problem := page_problem(page, result)) is not None:
            return [self._reject(page.url, problem.reason, problem.detail, site=site_of(page.final_url or page.url))]
        return [self._store_document(self.boilerplate.strip(doc)) for doc in result.documents]

    def _store_document(self, doc: Document, prefer_id: str | None = None) -> Outcome:
        if doc.lang not in self.keep_languages:
            return self._reject(doc.url, "language", f"lang={doc.lang}", doc.part, doc.site, doc.title)
        if len(doc.text) < self.min_chars:
            return self._reject(doc.url, "too_short", f"{len(doc.text)} chars < {self.min_chars}",
                                doc.part, doc.site, doc.title)
        if (fp := self._primed.get(id(doc))) is not None:
            self.dedup.prime(doc.text, fp)
        doc_hash = self.dedup.content_hash(doc.text)
        held = self._held(doc.url, doc.part)
        held_id = next(iter(held), None)
        if held_id and self.dedup.still_matches(doc, doc_hash, held_id):
            # The same page again (a re-crawl or re-ingest): update in place, id and duplicates stay.
            store.record_document(self.db, doc, doc_hash, doc_id=held_id)
            self.dedup.added(held_id, doc, doc_hash)
            return Outcome(doc.url, doc.part, "documents", held_id)
        match = self.dedup.match(doc, doc_hash, exclude=held)
        if match is None:
            doc_id = store.record_document(self.db, doc, doc_hash, doc_id=prefer_id or self._fresh_id(doc))
            self.dedup.added(doc_id, doc, doc_hash)
            return Outcome(doc.url, doc.part, "documents", doc_id)
        if match.supersede:
            return self._supersede(doc, doc_hash, match)
        store.record_duplicate(self.db, doc, match.dup_of, match.kind, match.similarity)
        return Outcome(doc.url, doc.part, "duplicates", match.kind)

    def _supersede(self, doc: Document, doc_hash: str, match: Match) -> Outcome:
        """`doc` is a better copy of stored document `match.dup_of`: it takes the document's row
        (same id) and the page that held the old copy becomes a duplicate pointing at it."""
        old = self.db.execute("SELECT url, part, title, site FROM documents WHERE id = ?",
                              [match.dup_of]).fetchone()
        store.record_document(self.db, doc, doc_hash, doc_id=match.dup_of)
        self.dedup.added(match.dup_of, doc, doc_hash)
        if old and (old[0], old[1]) != (doc.url, doc.part):
            stale = Document(url=old[0], part=old[1], title=old[2], site=old[3])
            store.record_duplicate(self.db, stale, match.dup_of, match.kind, match.similarity)
        return Outcome(doc.url, doc.part, "documents", match.dup_of)

    # -- documents leaving the corpus -------------------------------------------------------------
    def _held(self, url: str, part: int | None = None) -> set[str]:
        """Ids of the documents stored from this page (or this part of it) right now."""
        if part is None:
            rows = self.db.execute("SELECT id FROM documents WHERE url = ?", [url]).fetchall()
        else:
            rows = self.db.execute("SELECT id FROM documents WHERE url = ? AND part = ?", [url, part]).fetchall()
        return {r[0] for r in rows}

    def _fresh_id(self, doc: Document) -> str:
        """document_id(url, part), unless a better copy that arrived elsewhere already took that id
        over (supersede moves a document's text, not its id); then a derived one."""
        doc_id, n = document_id(doc.url, doc.part), 1
        while True:
            row = self.db.execute("SELECT url, part FROM documents WHERE id = ?", [doc_id]).fetchone()
            if row is None or (row[0], row[1]) == (doc.url, doc.part):
                return doc_id
            n += 1
            doc_id = document_id(f"{doc.url}#{n}", doc.part)

    def _rehome_orphans(self, held: set[str]) -> None:
        """Documents in `held` that re-ingest took out of the corpus leave their duplicates behind:
        re-extract each duplicate's page and dedup it again (the first that becomes a document keeps
        the old id), so no `dup_of` is left dangling."""
        for doc_id in sorted(held):
            if self.db.execute("SELECT 1 FROM documents WHERE id = ?", [doc_id]).fetchone():
                continue
            self.dedup.removed(doc_id)
            prefer: str | None = doc_id
            dups = self.db.execute("SELECT url, part FROM duplicates WHERE dup_of = ? ORDER BY seen_at, url",
                                   [doc_id]).fetchall()
            for url, part in dups:
                outcome = self._rehome(url, part, doc_id, prefer)
                if outcome.table == "documents" and outcome.detail == prefer:
                    prefer = None

    def _rehome(self, url: str, part: int, old_id: str, prefer_id: str | None) -> Outcome:
        doc = reextract_part(self.db, url, part, self.hints)
        if doc is None:
            return self._reject(url, "orphaned_duplicate",
                                f"was a duplicate of {old_id}, which left the corpus; its page cannot be re-read",
                                part)
        return self._store_document(doc, prefer_id=prefer_id)


# A small page through the main paths of extraction, extracted once per process before the first
# page that has a time budget: loading modules, rules, OpenCC's dictionaries and gazetteers takes
# seconds, which are not that page's.
_WARM_UP = Page(url="http://warm-up.invalid/doc/1.html", headers={"content-type": "text/html; charset=utf-8"},
                body=("<html><head><title>工作总结</title></head><body><div class='content'><p>"
                      + "今年以来，我局围绕中心工作，扎实推进各项任务落实。" * 8 + "</p></div></body></html>").encode())
_warmed_up = False


def _warm_up() -> None:
    global _warmed_up
    if not _warmed_up:
        _warmed_up = True
        try:
            extract_page(_WARM_UP)
        except Exception:  # noqa: BLE001 - a broken install shows on the first real page instead
            logger.exception("warming extraction up failed")


def page_problem(page: Page, result: Extraction) -> Problem | None:
    """Why `page` gives no document, or None: the one place a failed page's rejection comes from
    (no answer, an error status, extraction's own `problem`, nothing found)."""
    if page.error is not None:
        return Problem("fetch_error", page.error)
    if page.status >= 400 or page.status < 200:
        return Problem("http_error", f"HTTP {page.status}")
    if result.problem is not None:
        return result.problem
    if not result.documents:
        return Problem("not_a_document", "no document body found")
    return None


def run_extraction(page: Page, hints: SiteHints | None = None, budget: float | None = DEFAULT_TIME_BUDGET) -> Extraction:
    """extract_page (with the page's site-profile `hints`, if any) within a time budget of `budget`
    seconds (pipelines/timelimit.py). Always an Extraction: a failure is one with its `problem`
    (`decode_error`, `extract_timeout`, `extract_error`), so the page still gets an outcome. The
    one place extraction's exceptions become problems."""
    if page.status >= 400 or page.status < 200:
        return Extraction()
    if budget:
        _warm_up()
    try:
        with time_limit(budget):
            return extract_page(page, hints=hints)
    except ExtractionTimeout as e:
        logger.warning("extraction of %s stopped: %s", page.url, e)
        return Extraction.failed("extract_timeout", str(e))
    except DecodeError as e:
        logger.warning("extraction failed for %s: %s", page.url, e)
        return Extraction.failed("decode_error", str(e))
    except Exception as e:  # noqa: BLE001 - any extractor failure becomes a rejection, not a lost page
        logger.warning("extraction failed for %s: %s", page.url, e)
        return Extraction.failed("extract_error", f"{e.__class__.__name__}: {e}")


def prepare(page: Page, hints: SiteHints | None, config: DedupConfig | None) -> tuple:
    """(run_extraction's result, the dedup fingerprints of its documents): the CPU work of a page
    that needs no database, for a worker process; `Ingestor.store(page, *prepare(...))` stores it."""
    result = run_extraction(page, hints)
    if config is None or not result.documents:
        return result, None
    return result, [fingerprint(doc.text, config) for doc in result.documents]


def _prepare_chunk(chunk: list, config: DedupConfig | None) -> list:
    return [prepare(page, hints, config) for page, hints in chunk]


def prepared(tasks: Iterable, config: DedupConfig | None, workers: int, chunk: int = 8,
             in_flight: int = 4) -> Iterator[tuple]:
    """(page, result, fingerprints) for every (page, hints) of `tasks`, in their order.

    With `workers` > 1 the work runs in that many worker processes, `chunk` pages a message and at
    most `in_flight` chunks a worker ahead of the caller (memory grows with workers, not pages),
    while the caller stores what came back. Workers are forked where the platform allows it: they
    start in milliseconds with this process's modules, rules and OpenCC dictionaries loaded, where
    spawned ones would import and load everything again (about a second of CPU each). Raises
    concurrent.futures.process.BrokenProcessPool if a worker dies.
    """
    if workers <= 1:
        for page, hints in tasks:
            yield (page, *prepare(page, hints, config))
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    window: collections.deque = collections.deque()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                             initializer=_leave_with_parent, initargs=(os.getpid(),)) as pool:
        for batch in _chunks(tasks, chunk):
            window.append((batch, pool.submit(_prepare_chunk, batch, config)))
            if len(window) >= workers * in_flight:
                yield from _results(*window.popleft())
        while window:
            yield from _results(*window.popleft())


def _leave_with_parent(parent_pid: int) -> None:
    """A worker's first act: a thread that ends the worker once its parent is gone (`kill -9`):
    a forked worker holds both ends of the pool's task pipe, so it would wait for tasks forever."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)
    threading.Thread(target=watch, name="leave-with-parent", daemon=True).start()


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    items = iter(items)
    while batch := list(itertools.islice(items, size)):
        yield batch


def _results(batch: list, future: Future[list]) -> Iterator[tuple]:
    for (page, _), (result, fps) in zip(batch, future.result(), strict=True):
        yield page, result, fps


def warm_up() -> None:
    """Load what every page's extraction needs (rules, OpenCC's dictionaries, lxml) before worker
    processes are forked, so they share it instead of each loading it again."""
    body = ("<html><head><title>预热</title></head><body><div class='content'><p>"
            + "本页只用于在启动时加载规则和简繁转换词典，內容不會被儲存。" * 6 + "</p></div></body></html>")
    run_extraction(Page(url="http://warm-up.invalid/", body=body.encode("utf-8")))


def stored_hints(db: sqlite_utils.Database, page: Page) -> SiteHints | None:
    """The hints a stored page is extracted again with: the first answer of the `hints` of the
    extensions `db` was opened with (the crawler's page roles know the site profiles:
    crawler/pageroles.py); None when none knows the page."""
    for extension in store.extensions_of(db):
        if extension.hints is not None and (hints := extension.hints(db, page)) is not None:
            return hints
    return None


def reextract_part(db: sqlite_utils.Database, url: str, part: int, hints: HintsLookup | None = None) -> Document | None:
    """Document `part` of the page stored for `url`, extracted again (with the hints it was stored
    with: `hints(page)`, default `stored_hints`) and cut by its site's boilerplate; None if the page
    is not stored or no longer yields that part."""
    page = store.get_page(db, url)
    hints = hints or (lambda page: stored_hints(db, page))
    result = run_extraction(page, hints(page)) if page else None
    if result is None or result.problem is not None:
        return None
    doc = next((d for d in result.documents if d.part == part), None)
    return SiteBoilerplate(db).strip(doc) if doc else None
