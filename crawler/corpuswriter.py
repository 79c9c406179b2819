"""The single writer thread that owns corpus.db's sqlite connection for a crawl.

Jobs (callables taking the Ingestor) queue up from the reactor thread; the writer runs whatever has
queued since its last commit in one transaction (each job in a savepoint of its own), so a busy
crawl commits large batches and an idle one commits at once. A job's future resolves only after
its transaction committed. A kill loses at most the uncommitted batch — SQLite's journal keeps the
file consistent.
"""
from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future

from pipelines import store
from pipelines.ingest import Ingestor

logger = logging.getLogger(__name__)

_STOP = object()


class CorpusWriter(threading.Thread):
    def __init__(self, db_path: str, keep_languages, min_chars: int, batch_size: int = 100):
        super().__init__(name="corpus-writer", daemon=True)
        self.db_path = db_path
        self.keep_languages = keep_languages
        self.min_chars = min_chars
        self.batch_size = max(1, batch_size)
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.ready = threading.Event()
        self.error: Exception | None = None
        self.batches = 0

    def open(self, timeout: float = 60) -> None:
        """Start the thread and wait until the database is open; raises what opening raised."""
        self.start()
        self.ready.wait(timeout)
        if self.error:
            raise self.error

    def submit(self, fn, *args) -> Future:
        """Run fn(ingestor, *args) in the writer thread; the future holds its result once committed."""
        future: Future = Future()
        self.jobs.put((fn, args, future))
        return future

    def close(self) -> None:
        """Write everything queued, then stop (blocks until done)."""
        if self.is_alive():
            self.jobs.put(_STOP)
            self.join()

    def run(self) -> None:
        try:
            db = store.open_db(self.db_path)
            ingestor = Ingestor(db, self.keep_languages, self.min_chars)
        except Exception as e:  # noqa: BLE001 - reported to the opener
            self.error = e
            self.ready.set()
            return
        self.ready.set()
        stopping = False
        while not stopping:
            batch = [self.jobs.get()]
            while len(batch) < self.batch_size:
                try:
                    batch.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            if _STOP in batch:
                stopping = True
                batch = [job for job in batch if job is not _STOP]
            if batch:
                self.write(db, ingestor, batch)
        db.close()

    def write(self, db, ingestor, batch) -> None:
        done = []
        try:
            with db.atomic():
                for fn, args, future in batch:
                    try:
                        with db.atomic():  # a savepoint: a failing job takes only its own writes back
                            done.append((future, fn(ingestor, *args), None))
                    except Exception as e:  # noqa: BLE001 - one bad page must not stop the crawl
                        logger.exception("writing to the corpus failed")
                        done.append((future, None, e))
        except Exception as e:  # noqa: BLE001 - the commit itself failed: nothing of the batch is stored
            logger.exception("commit to %s failed", self.db_path)
            done = [(future, None, e) for _, _, future in batch]
        self.batches += 1
        for future, result, error in done:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
