"""Duplicate detection on cleaned, simplified text: exact, near and contained copies.

A document is compared on its normalised text (`normalise`: width, case, punctuation and white space
folded; script was already folded to simplified by extraction):

- exact      the normalised texts hash the same (`content_hash`, indexed in `documents`);
- near       Jaccard similarity of the character-shingle sets >= `near_threshold`;
- contained  the shorter copy's shingles lie mostly (>= `containment_threshold`) inside the longer
             one: a truncated preview of it.

Candidates come from an LSH index kept in corpus.db (tables `dedup_signatures`, `dedup_bands`, see
`ensure_schema`), so the index persists between runs and memory stays flat: two band families, one on
the MinHash of the whole text (near copies) and one on the MinHash of its first `prefix_chars`
characters (previews share their opening with the full text, even when they are a third of it).
Candidates are ranked by their stored signatures (estimated Jaccard and containment) and only the best
few are verified on exact shingle sets, so boilerplate shared by many documents (a standard report
opening) costs a bounded amount of work and never decides alone. docs/dedup.md has the measurements
behind every default in `DedupConfig`.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlite_utils

from .. import store
from ..model import Document
from . import minhash

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

NOISE = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Text as dedup sees it: NFKC (full/half width folded), lower case, no punctuation or spaces."""
    # Punctuation out first: what is left is usually NFKC already, and the quick check is ~free
    # where NFKC itself is not (0.2 ms for 2,000 characters).
    text = NOISE.sub("", text)
    if not unicodedata.is_normalized("NFKC", text):
        text = NOISE.sub("", unicodedata.normalize("NFKC", text))
    return text.lower()


def content_hash(text: str) -> str:
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()


@dataclass
class DedupConfig:
    """Every dedup parameter, with its default, in one place (Scrapy settings `DEDUP_<NAME>` override
    them through `from_settings`). Changing a field marked (index) needs `docsites dedup --rebuild`."""

    shingle: int = 5                   # (index) characters per shingle
    num_perm: int = 128                # (index) MinHash permutations of the whole text
    bands: int = 32                    # (index) LSH bands over them ...
    rows: int = 4                      # (index) ... of this many rows: S-curve midpoint ~0.42
    prefix_chars: int = 200            # (index) the opening that previews share with the full text
    prefix_perm: int = 48              # (index)
    prefix_bands: int = 16             # (index)
    prefix_rows: int = 3               # (index)
    seed: int = 1                      # (index)
    near_threshold: float = 0.5        # exact Jaccard of shingle sets for `near`
    containment_threshold: float = 0.7  # share of the shorter copy's shingles inside the longer one
    min_contained_shingles: int = 60   # a shorter copy must have this many shingles to be `contained`
    per_band_limit: int = 64           # bucket rows read per band key (bounds very common openings)
    verify: int = 8                    # candidates verified on exact shingle sets, best estimates first
    supersede_ratio: float = 1.05      # a copy with this many times the shingles takes over the text

    INDEX_FIELDS = ("shingle", "num_perm", "bands", "rows", "prefix_chars", "prefix_perm",
                    "prefix_bands", "prefix_rows", "seed")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], base: DedupConfig | None = None) -> DedupConfig:
        """`base` (default: the defaults) with `DEDUP_SHINGLE`, `DEDUP_NEAR_THRESHOLD`, … from a
        Scrapy Settings (or a dict) over it; unset keys keep base's values."""
        defaults, kwargs = cls(), {}
        for f in fields(cls):
            value = settings.get(f"DEDUP_{f.name.upper()}")
            if value is not None:
                kwargs[f.name] = type(getattr(defaults, f.name))(value)  # the type of the field's default
        return replace(base or defaults, **kwargs)

    def index_params(self) -> dict:
        return {k: getattr(self, k) for k in self.INDEX_FIELDS}


@dataclass
class Match:
    """`doc` duplicates stored document `dup_of`. With `supersede`, `doc` is the better copy: the
    stored document takes its text (keeping its id) and the stored copy's page becomes the duplicate."""

    dup_of: str
    kind: str  # exact | near | contained
    similarity: float
    supersede: bool = False
    detail: dict = field(default_factory=dict)


@dataclass
class Fingerprint:
    norm: str
    hv64: np.ndarray          # shingle hashes, one per position
    sig: np.ndarray           # MinHash of the whole text
    psig: np.ndarray          # MinHash of its opening
    nshingles: int            # distinct shingles
    distinct: np.ndarray | None = None  # the distinct shingle hashes, sorted

    def shingle_set(self) -> np.ndarray:
        if self.distinct is None:
            self.distinct = np.unique(self.hv64)
        return self.distinct


def distinct_shingles(hv64: np.ndarray) -> np.ndarray:
    """np.unique(hv64): sorted, each hash once."""
    ordered = np.sort(hv64)
    if ordered.size < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def fingerprint(text: str, config: DedupConfig, normalised: bool = False) -> Fingerprint:
    """Everything dedup needs of a text; pure, so extraction workers take it off the writer."""
    norm = text if normalised else normalise(text)
    hv64 = minhash.shingle_hashes64(norm, config.shingle)
    hv32 = minhash.fold32(hv64)
    sig = minhash.signature(hv32, config.num_perm, config.seed)
    nprefix = max(config.prefix_chars - config.shingle + 1, 1)
    psig = minhash.signature(hv32[:nprefix], config.prefix_perm, config.seed + 1)
    distinct = distinct_shingles(hv64)
    return Fingerprint(norm, hv64, sig, psig, int(distinct.size), distinct)


def band_keys(sig: np.ndarray, psig: np.ndarray, config: DedupConfig) -> list[int]:
    return (minhash.band_keys(sig, config.bands, config.rows, salt=1)
            + minhash.band_keys(psig, config.prefix_bands, config.prefix_rows, salt=2))


def overlap(a: np.ndarray, b: np.ndarray) -> dict:
    """Exact set figures for two distinct-shingle arrays."""
    inter = int(np.intersect1d(a, b, assume_unique=True).size)
    na, nb = int(a.size), int(b.size)
    union = na + nb - inter
    return {
        "shingles": [na, nb], "shared": inter,
        "jaccard": inter / union if union else 1.0,
        "containment": inter / min(na, nb) if min(na, nb) else 0.0,
    }


def judge(ov: dict, config: DedupConfig) -> tuple[str, float] | None:
    """(kind, similarity) when the figures make a duplicate, else None."""
    na, nb = ov["shingles"]
    small, large = min(na, nb), max(na, nb)
    contained = ov["containment"] >= config.containment_threshold and small >= config.min_contained_shingles
    if contained and small < large * 0.9:
        return "contained", ov["containment"]
    if ov["jaccard"] >= config.near_threshold:
        return "near", ov["jaccard"]
    if contained:
        return "contained", ov["containment"]
    return None


def ensure_schema(db: sqlite_utils.Database) -> None:
    """The persistent LSH index (the corpus extension DEDUP_INDEX). Bands are a WITHOUT ROWID table
    keyed (h, key): one B-tree serves both the lookup by band key and the removal of a document."""
    with db.atomic():
        for statement in SCHEMA:
            db.execute(statement)


# The index's tables (dedup/bulk.py makes them on a plain connection)
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS dedup_signatures (
        key INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, nchars INTEGER,
        nshingles INTEGER, sig BLOB, psig BLOB)""",
    """CREATE TABLE IF NOT EXISTS dedup_bands (
        h INTEGER NOT NULL, key INTEGER NOT NULL, PRIMARY KEY (h, key)) WITHOUT ROWID""",
    "CREATE TABLE IF NOT EXISTS dedup_meta (name TEXT PRIMARY KEY, value TEXT)",
)


def stored_config(db: sqlite_utils.Database) -> DedupConfig:
    """The settings this database was last deduplicated with (`docsites dedup --rebuild` changes
    them); the defaults for a new database."""
    try:
        row = db.execute("SELECT value FROM dedup_meta WHERE name = 'config'").fetchone()
    except Exception:  # noqa: BLE001 - no dedup tables yet
        row = None
    if not row:
        return DedupConfig()
    known = {f.name for f in fields(DedupConfig)}
    return DedupConfig(**{k: v for k, v in json.loads(row[0]).items() if k in known})


# The corpus extension (pipelines.defaults.CORPUS_EXTENSIONS): the index every corpus has.
DEDUP_INDEX = store.Extension("dedup", ensure_schema)


class IndexMismatch(ValueError):
    """The settings name index parameters (shingle size, permutations, bands …) other than those the
    stored index was built with: its signatures and band keys cannot be compared with new ones."""


def _mismatch_message(stored: dict, wanted: dict) -> str:
    changed = sorted(k for k in wanted if stored.get(k) != wanted[k])
    was = ", ".join(f"{k}={stored.get(k)}" for k in changed)
    now = ", ".join(f"{k}={wanted[k]}" for k in changed)
    return (f"the dedup index in this corpus was built with {was}, the settings now say {now}: rebuild it with "
            f"`docsites dedup --rebuild` and the new values (for example --shingle {wanted.get('shingle')}), "
            f"or leave them unset to keep the index")


class Deduplicator:
    """Finds the stored document a new one duplicates, and keeps the index in step with `documents`.

    `match` looks; `added`/`removed` must be called (in the same transaction) when a document is
    stored, its text replaced, or it leaves the corpus. Between calls it holds only a bounded cache
    of stored texts' shingle sets, keyed by content hash (a pure function of the text, so never stale)."""

    SHINGLE_SET_CACHE = 1024  # stored documents' shingle sets kept (~16 KiB each for 2,000 characters)

    def __init__(self, db: sqlite_utils.Database, config: DedupConfig | None = None, index_missing: bool = True,
                 readonly: bool = False) -> None:
        """Raises IndexMismatch when `config`'s index parameters are not those of the stored index.
        `readonly`: only look (`match`, `candidates`, `compare`), writing nothing (a read-only corpus)."""
        self.db = db
        self.readonly = readonly
        if not readonly:
            ensure_schema(db)
        self.config = config or stored_config(db)
        self._cache: tuple[str, Fingerprint] | None = None
        self._norm_cache: tuple[str, str] | None = None
        self._sets: OrderedDict[str, np.ndarray] = OrderedDict()
        self._check_params()
        if index_missing and not readonly:
            self.index_missing()

    @classmethod
    def from_crawler(cls, crawler: Crawler, db: sqlite_utils.Database) -> Deduplicator:
        return cls(db, DedupConfig.from_settings(crawler.settings, stored_config(db)))

    # -- index bookkeeping ------------------------------------------------------------------------
    def _check_params(self) -> None:
        """Record the index parameters of a new index; refuse ones other than the stored index's."""
        if self.readonly and "dedup_meta" not in self.db.table_names():
            return
        row = self.db.execute("SELECT value FROM dedup_meta WHERE name = 'index'").fetchone()
        params = json.dumps(self.config.index_params(), sort_keys=True)
        # an index stored before a parameter existed was built with that parameter's default
        stored = {**DedupConfig().index_params(), **json.loads(row[0])} if row is not None else None
        if stored is not None and stored != self.config.index_params() and \
                self.db.execute("SELECT 1 FROM dedup_signatures LIMIT 1").fetchone():
            raise IndexMismatch(_mismatch_message(stored, self.config.index_params()))
        if self.readonly:
            return
        if row is None or row[0] != params:  # a new or an empty index: built from now on with these parameters
            with self.db.atomic():
                self.db.execute("INSERT OR REPLACE INTO dedup_meta VALUES ('index', ?)", [params])
                self.db.execute("INSERT OR REPLACE INTO dedup_meta VALUES ('config', ?)",
                                [json.dumps(asdict(self.config), sort_keys=True)])

    def index_missing(self) -> int:
        """Index stored documents that have no signature (a database from before this index)."""
        rows = self.db.execute(
            """SELECT d.id, d.text FROM documents d LEFT JOIN dedup_signatures s ON s.doc_id = d.id
               WHERE s.key IS NULL""").fetchall()
        if rows:
            with self.db.atomic():
                for doc_id, text in rows:
                    self._insert(doc_id, fingerprint(text or "", self.config), len(text or ""))
            logger.info("dedup: indexed %d documents that had no signature", len(rows))
        return len(rows)

    def _normalised(self, text: str) -> str:
        # the hash and the fingerprint of a document are taken one after the other: normalise once
        if self._norm_cache is None or self._norm_cache[0] is not text:
            self._norm_cache = (text, normalise(text))
        return self._norm_cache[1]

    def content_hash(self, text: str) -> str:
        """`content_hash(text)`, sharing the normalised text with the fingerprint taken next."""
        return hashlib.sha1(self._normalised(text).encode("utf-8")).hexdigest()

    def prime(self, text: str, fp: Fingerprint) -> None:
        """`fp` is `fingerprint(text)` with this index's config, taken elsewhere (an extraction
        worker): the hash and the match that follow use it instead of taking it again."""
        self._norm_cache = (text, fp.norm)
        self._cache = (text, fp)

    def _fingerprint(self, text: str) -> Fingerprint:
        if self._cache is not None and self._cache[0] is text:
            return self._cache[1]
        fp = fingerprint(self._normalised(text), self.config, normalised=True)
        self._cache = (text, fp)
        return fp

    def _insert(self, doc_id: str, fp: Fingerprint, nchars: int) -> None:
        cur = self.db.execute(
            "INSERT INTO dedup_signatures (doc_id, nchars, nshingles, sig, psig) VALUES (?, ?, ?, ?, ?)",
            [doc_id, nchars, fp.nshingles, fp.sig.tobytes(), fp.psig.tobytes()])
        key = cur.lastrowid
        self.db.conn.executemany("INSERT OR IGNORE INTO dedup_bands (h, key) VALUES (?, ?)",
                                 [(h, key) for h in band_keys(fp.sig, fp.psig, self.config)])

    def added(self, doc_id: str, doc: Document, doc_hash: str | None = None) -> None:
        """A document was stored (or its text replaced): index it for later matches."""
        self.removed(doc_id)
        self._insert(doc_id, self._fingerprint(doc.text), len(doc.text))

    def removed(self, doc_id: str) -> None:
        """A document left the corpus (or is about to be re-indexed): forget it."""
        row = self.db.execute("SELECT key, sig, psig FROM dedup_signatures WHERE doc_id = ?", [doc_id]).fetchone()
        if row is None:
            return
        key, sig, psig = row
        keys = band_keys(np.frombuffer(sig, np.uint32), np.frombuffer(psig, np.uint32), self.config)
        self.db.conn.executemany("DELETE FROM dedup_bands WHERE h = ? AND key = ?", [(h, key) for h in keys])
        self.db.execute("DELETE FROM dedup_signatures WHERE key = ?", [key])

    # -- matching ---------------------------------------------------------------------------------
    def candidates(self, fp: Fingerprint, exclude: Collection[str] = ()) -> list[dict]:
        """Stored documents sharing an LSH band with `fp`, best estimated similarity first."""
        cfg = self.config
        keys = band_keys(fp.sig, fp.psig, cfg)
        sub = " UNION ALL ".join(["SELECT * FROM (SELECT key FROM dedup_bands WHERE h = ? LIMIT ?)"] * len(keys))
        params = [v for h in keys for v in (h, cfg.per_band_limit)]
        rows = self.db.execute(
            f"""SELECT s.doc_id, s.nshingles, s.sig, s.psig, b.hits FROM
                  (SELECT key, count(*) AS hits FROM ({sub}) GROUP BY key) b
                JOIN dedup_signatures s ON s.key = b.key""", params).fetchall()
        out = []
        for doc_id, nsh, sig, psig, hits in rows:
            if doc_id in exclude:
                continue
            j = float(np.mean(np.frombuffer(sig, np.uint32) == fp.sig))
            pj = float(np.mean(np.frombuffer(psig, np.uint32) == fp.psig))
            small = max(min(nsh, fp.nshingles), 1)
            c = min(1.0, j * (nsh + fp.nshingles) / ((1 + j) * small))
            out.append({"doc_id": doc_id, "hits": hits, "est_jaccard": j, "est_containment": c,
                        "est_prefix": pj})
        # Containment estimates ride on the whole-text signature; the prefix only breaks ties.
        out.sort(key=lambda c: (max(c["est_containment"], c["est_jaccard"]), c["est_prefix"], c["hits"]),
                 reverse=True)
        return out

    def compare(self, fp: Fingerprint, doc_id: str, text: str | None = None) -> dict | None:
        """Exact overlap of `fp` with stored document `doc_id` (its text read from `documents`);
        None if there is no such document (an index entry whose row something else deleted)."""
        stored_hash = None
        if text is None:
            row = self.db.execute("SELECT text, content_hash FROM documents WHERE id = ?", [doc_id]).fetchone()
            if row is None:
                return None
            text, stored_hash = row[0] or "", row[1]
        return overlap(fp.shingle_set(), self._shingle_set(text, stored_hash))

    def _shingle_set(self, text: str, text_hash: str | None) -> np.ndarray:
        """The distinct shingles of a stored text: the copies of a report are compared with the same
        stored document again and again, so the last few hundred are kept by content hash."""
        if text_hash is not None and (found := self._sets.get(text_hash)) is not None:
            self._sets.move_to_end(text_hash)
            return found
        shingles = distinct_shingles(minhash.shingle_hashes64(normalise(text), self.config.shingle))
        if text_hash is not None:
            self._sets[text_hash] = shingles
            if len(self._sets) > self.SHINGLE_SET_CACHE:
                self._sets.popitem(last=False)
        return shingles

    def match(self, doc: Document, doc_hash: str, exclude: Collection[str] = ()) -> Match | None:
        """The stored document `doc` duplicates, if any (documents whose id is in `exclude` are
        not considered: the caller's own previous copy)."""
        exclude = set(exclude)
        qmarks = ",".join("?" * len(exclude))
        row = self.db.execute(
            f"""SELECT id FROM documents WHERE content_hash = ? AND NOT (url = ? AND part = ?)
                {f"AND id NOT IN ({qmarks})" if exclude else ""} LIMIT 1""",
            [doc_hash, doc.url, doc.part, *exclude],
        ).fetchone()
        if row:
            return Match(row[0], "exact", 1.0, detail={"content_hash": doc_hash})
        fp = self._fingerprint(doc.text)
        if not fp.norm:
            return None
        best = None
        floor = 0.6 * min(self.config.near_threshold, self.config.containment_threshold)
        for cand in self.candidates(fp, exclude)[: self.config.verify]:
            if max(cand["est_containment"], cand["est_jaccard"]) < floor and cand["est_prefix"] < 0.5:
                continue
            ov = self.compare(fp, cand["doc_id"])
            if ov is None:
                continue
            verdict = judge(ov, self.config)
            if verdict is None:
                continue
            kind, sim = verdict
            rank = (ov["containment"], ov["jaccard"])
            if best is None or rank > best[0]:
                best = (rank, kind, sim, cand["doc_id"], ov)
        if best is None:
            return None
        _, kind, sim, dup_of, ov = best
        return Match(dup_of, kind, sim, supersede=self.better(doc, ov, dup_of), detail=ov)

    def still_matches(self, doc: Document, doc_hash: str, doc_id: str) -> bool:
        """Is `doc` still a copy of stored document `doc_id` (its own page's previous version)?"""
        row = self.db.execute("SELECT content_hash, text FROM documents WHERE id = ?", [doc_id]).fetchone()
        if row is None:
            return False
        if row[0] == doc_hash:
            return True
        ov = overlap(self._fingerprint(doc.text).shingle_set(), self._shingle_set(row[1], None))
        return judge(ov, self.config) is not None

    def better(self, doc: Document, ov: dict, stored_id: str) -> bool:
        """Is `doc` a more complete copy than the stored one? (ov["shingles"] = [doc's, stored's])"""
        n_new, n_old = ov["shingles"]
        if n_new >= n_old * self.config.supersede_ratio:
            return True
        if n_new >= n_old and not doc.truncated:
            row = self.db.execute("SELECT truncated FROM documents WHERE id = ?", [stored_id]).fetchone()
            return bool(row and row[0])
        return False


def shared_passages(a: str, b: str, n: int, limit: int = 3) -> list[str]:
    """The longest runs of `a` (normalised) made of shingles that also occur in `b`: what two copies
    share, for `docsites dedup --explain`."""
    a, b = normalise(a), normalise(b)
    if len(a) < n or len(b) < n:
        return []
    inb = np.isin(minhash.shingle_hashes64(a, n), minhash.shingle_hashes64(b, n))
    runs, start = [], None
    for i, hit in enumerate(list(inb) + [False]):
        if hit and start is None:
            start = i
        elif not hit and start is not None:
            runs.append((i - start, start))
            start = None
    runs.sort(reverse=True)
    return [a[s:s + length + n - 1] for length, s in runs[:limit]]
