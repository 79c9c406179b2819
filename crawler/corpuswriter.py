"""The single writer that owns corpus.db's sqlite connection for a crawl — a process of its own.

Storing a page is CPU work too (dedup fingerprints and index lookups, zlib), and in a thread of
the crawl process it would hold the GIL against the reactor: every socket call of the reactor
then waits for the interpreter lock. So the writer is a separate process: jobs go to it over a
multiprocessing queue, and a thread in the crawl process resolves each job's Future when its
result comes back.

The writer runs whatever has queued since its last commit in one transaction (each job in a
savepoint of its own), waiting up to `batch_wait` seconds after the first job for more: a busy
crawl commits large batches (a commit, and the full-text index's segment merges, cost about as
much per batch as storing several pages) and an idle one commits almost at once. A
job's Future resolves only after its transaction committed. A kill loses at most the uncommitted
batch — SQLite's journal keeps the file consistent. If the crawl process dies, the writer commits
what it has and exits.

Jobs are named operations (picklable): ``store`` (page, extraction, site, role), ``start_run``
(spider, arguments) and ``finish_run`` (run_id, reason, stats).
"""
from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import queue
import threading
import time
from concurrent.futures import Future

from crawler.addon import CORPUS_EXTENSIONS

logger = logging.getLogger(__name__)

_STOP = "stop"


# --- the writer process -----------------------------------------------------------------------
def _job_store(ingestor, page, result, site, role):
    from crawler import pageroles
    outcomes = ingestor.store(page, result)
    pageroles.record(ingestor.db, page.url, site, role)
    return outcomes


def _job_start_run(ingestor, spider, arguments):
    from pipelines import store
    return store.start_run(ingestor.db, spider, arguments)


def _job_finish_run(ingestor, run_id, reason, stats):
    from pipelines import store
    return store.finish_run(ingestor.db, run_id, reason, stats)


JOBS = {"store": _job_store, "start_run": _job_start_run, "finish_run": _job_finish_run}


def _next_batch(jobs, batch_size: int, batch_wait: float) -> list:
    """The jobs queued now, and those arriving within `batch_wait` seconds, up to batch_size;
    raises queue.Empty when none comes within a second."""
    batch = [jobs.get(timeout=1.0)]
    deadline = time.monotonic() + batch_wait
    while len(batch) < batch_size and batch[-1] != _STOP:
        try:
            batch.append(jobs.get(timeout=max(0.0, deadline - time.monotonic())))
        except queue.Empty:
            break
    return batch


def _serve(db_path, keep_languages, min_chars, batch_size, batch_wait, dedup_settings, profiles, extensions, jobs,
           results, parent_pid):
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawl process's to handle; we drain
    from crawler.pageroles import PageHints
    from crawler.profiles import load_profiles
    from pipelines import store
    from pipelines.dedup import DedupConfig, Deduplicator, stored_config
    from pipelines.ingest import Ingestor
    try:
        db = store.open_db(db_path, extensions=extensions)
        config = DedupConfig.from_settings(dedup_settings, stored_config(db))
        # a stored page read again (a re-homed duplicate) gets the hints of the crawl's own profiles
        hints = PageHints(db, load_profiles(*profiles)).hints
        ingestor = Ingestor(db, keep_languages, min_chars, dedup=Deduplicator(db, config), hints=hints)
    except Exception as e:  # noqa: BLE001 - reported to the crawl process
        results.put(("ready", repr(e)))
        return
    results.put(("ready", None))
    stopping = False
    while not stopping:
        try:
            batch = _next_batch(jobs, batch_size, batch_wait)
        except queue.Empty:
            if os.getppid() != parent_pid:  # the crawl process is gone: nobody is waiting
                results.cancel_join_thread()  # so exiting does not wait to flush answers to no one
                break
            continue
        if _STOP in batch:
            stopping = True
            batch = [job for job in batch if job != _STOP]
        if batch:
            for answer in _write(db, ingestor, batch):
                results.put(answer)
    db.close()
    results.put(("closed", None))


def _write(db, ingestor, batch):
    from pipelines import store
    done = []
    try:
        with store.transaction(db):  # the search index is written once for the batch, before COMMIT
            for job_id, name, args in batch:
                try:
                    with db.atomic():  # a savepoint: a failing job takes only its own writes back
                        done.append((job_id, JOBS[name](ingestor, *args), None))
                except Exception as e:  # noqa: BLE001 - one bad page must not stop the crawl
                    logging.getLogger(__name__).exception("writing to the corpus failed")
                    done.append((job_id, None, f"{e.__class__.__name__}: {e}"))
    except Exception as e:  # noqa: BLE001 - the commit itself failed: nothing of the batch is stored
        done = [(job_id, None, f"commit failed: {e}") for job_id, _, _ in batch]
    return done


# --- the crawl process's side -----------------------------------------------------------------
class WriterError(RuntimeError):
    pass


class CorpusWriter:
    def __init__(self, db_path: str, keep_languages, min_chars: int, batch_size: int = 100,
                 dedup_settings: dict | None = None, batch_wait: float = 0.0, profiles_dir: str | None = None,
                 base_urls: dict | None = None, extensions=None):
        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs a reactor
        self.jobs = ctx.Queue()
        self.results = ctx.Queue()
        self.process = ctx.Process(
            target=_serve, name="corpus-writer", daemon=True,
            args=(db_path, list(keep_languages), min_chars, max(1, batch_size), max(0.0, batch_wait),
                  dict(dedup_settings or {}), (profiles_dir, dict(base_urls or {})),
                  # the crawl's parts of the corpus (CORPUS_EXTENSIONS), by default its page roles too
                  tuple(extensions if extensions is not None else CORPUS_EXTENSIONS), self.jobs, self.results,
                  os.getpid()))
        self.pending: dict[int, Future] = {}
        self.ids = itertools.count()
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, name="corpus-writer-results", daemon=True)
        self.db_path = db_path

    def open(self, timeout: float = 120) -> None:
        """Start the writer and wait until the database is open; raises if it cannot be."""
        self.process.start()
        try:
            kind, error = self.results.get(timeout=timeout)
        except queue.Empty:
            raise WriterError(f"the corpus writer did not open {self.db_path} in {timeout:.0f}s") from None
        if error:
            self.process.join()
            raise WriterError(f"cannot open {self.db_path}: {error}")
        self.reader.start()

    def submit(self, name: str, *args) -> Future:
        """Queue job `name`; the Future holds its result once committed."""
        future: Future = Future()
        if not self.alive:
            future.set_exception(WriterError("the corpus writer process is not running"))
            return future
        job_id = next(self.ids)
        with self.lock:
            self.pending[job_id] = future
        self.jobs.put((job_id, name, args))
        return future

    @property
    def alive(self) -> bool:
        return self.process.is_alive() and self.reader.is_alive()

    def _read(self) -> None:
        while True:
            try:
                message = self.results.get(timeout=1.0)
            except queue.Empty:
                if not self.process.is_alive():
                    self._fail_pending("the corpus writer process died")
                    return
                continue
            if message[0] == "closed":
                return
            job_id, result, error = message
            with self.lock:
                future = self.pending.pop(job_id)
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(WriterError(error))

    def _fail_pending(self, why: str) -> None:
        with self.lock:
            pending, self.pending = self.pending, {}
        for future in pending.values():
            future.set_exception(WriterError(why))

    def close(self, timeout: float = 600) -> None:
        """Write everything queued, then stop (blocks until done)."""
        if self.process.is_alive():
            self.jobs.put(_STOP)
            self.process.join(timeout)
        if self.reader.is_alive():
            self.reader.join(timeout=10)
        if self.pending:
            self._fail_pending("the corpus writer stopped before these jobs were written")
