"""`docsites export`: the corpus as JSON lines, Parquet or CSV, in the shape corpus users expect."""
from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import os
import sqlite3
import sys

import click

from docsites.cli import db_option, fail, output_folder_or_fail
from pipelines import store
from pipelines.model import REPORT_FIELDS, REPORT_LISTS

FIELDS = ("id", "text", "url", "title", "site", "published", *REPORT_FIELDS, "meta")
LIST_FIELDS = REPORT_LISTS  # JSON arrays: lists in jsonl, JSON strings in csv and parquet
FORMATS = ("jsonl", "parquet", "csv")
BATCH = 2000
# Exports with more rows than this show a progress bar (on a terminal, or always with --progress).
PROGRESS_FROM = 5000


def connect_ro(path: str) -> sqlite3.Connection:
    """Read-only, so nothing in --where can change the corpus."""
    return store.open_readonly(path).conn


def export_sql(where: str | None, include_duplicates: bool) -> tuple[str, str]:
    """(rows SQL, count SQL). `where` filters documents; a duplicate goes with the document it copies."""
    # The condition sees only the documents table (a subquery), so `site` is never ambiguous.
    selected = f"(SELECT * FROM documents WHERE {where or 1}) AS d"
    report = ", ".join(f"d.{f}" for f in REPORT_FIELDS)
    docs = f"SELECT d.id, d.text, d.url, d.title, d.site, d.published, {report}, d.meta, NULL, NULL, NULL FROM {selected}"
    count = f"SELECT (SELECT count(*) FROM {selected})"
    if include_duplicates:
        # A duplicate's own id is that of its (url, part); its text is the stored copy's.
        docs += (f" UNION ALL SELECT x.url || '#' || x.part, d.text, x.url, coalesce(x.title, d.title), x.site, "
                 f"d.published, {report}, d.meta, d.id, x.kind, x.similarity FROM duplicates AS x "
                 f"JOIN {selected} ON d.id = x.dup_of")
        count += f" + (SELECT count(*) FROM duplicates AS x JOIN {selected} ON d.id = x.dup_of)"
    return docs + " ORDER BY 3, 1", count


def records(cursor):
    from pipelines.model import document_id
    for row in cursor:
        doc_id, text, url, title, site, published = row[:6]
        report = dict(zip(REPORT_FIELDS, row[6:6 + len(REPORT_FIELDS)], strict=True))
        meta, dup_of, kind, similarity = row[6 + len(REPORT_FIELDS):]
        try:
            meta = json.loads(meta) if meta else {}
        except ValueError:
            meta = {"raw": meta}
        for f in LIST_FIELDS:
            try:
                report[f] = json.loads(report[f]) if report[f] else []
            except ValueError:
                report[f] = []
        if dup_of:
            url_part = doc_id.rsplit("#", 1)
            doc_id = document_id(url_part[0], int(url_part[1]))
            meta = {**meta, "duplicate_of": dup_of, "duplicate_kind": kind, "similarity": similarity}
        yield {"id": doc_id, "text": text, "url": url, "title": title, "site": site, "published": published,
               **report, "meta": meta}


def _flat(r: dict) -> dict:
    """A record for csv and parquet: meta and the lists as JSON strings."""
    out = {**r, "meta": json.dumps(r["meta"], ensure_ascii=False)}
    for f in LIST_FIELDS:
        out[f] = json.dumps(r[f], ensure_ascii=False)
    return out


class JsonlWriter:
    def __init__(self, f):
        self.f = f

    def write(self, rows):
        for r in rows:
            self.f.write(json.dumps(r, ensure_ascii=False) + "\n")

    def close(self):
        pass


class CsvWriter:
    def __init__(self, f):
        self.w = csv.DictWriter(f, fieldnames=FIELDS)
        self.w.writeheader()

    def write(self, rows):
        for r in rows:
            self.w.writerow(_flat(r))

    def close(self):
        pass


class ParquetWriter:
    def __init__(self, path):
        import pyarrow as pa
        import pyarrow.parquet as pq
        self.pa = pa
        self.schema = pa.schema([(f, pa.string()) for f in FIELDS])
        self.w = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, rows):
        if rows:
            flat = [_flat(r) for r in rows]
            columns = {f: [r[f] for r in flat] for f in FIELDS}
            self.w.write_table(self.pa.table(columns, schema=self.schema))

    def close(self):
        self.w.close()


@click.command()
@click.argument("out", type=click.Path(dir_okay=False, allow_dash=True))
@db_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="output format (default: from OUT's extension)")
@click.option("--where", help="SQL condition on documents, e.g. \"site = 'wk.example' AND published >= '2020'\"")
@click.option("--include-duplicates", is_flag=True,
              help="also a row per copy found elsewhere (its own url and id, the stored text; meta.duplicate_of)")
@click.option("--progress/--no-progress", default=None, help="progress bar on stderr (default: long exports on a terminal)")
def export(out, db_path, fmt, where, include_duplicates, progress):
    """Write the documents as jsonl, parquet or csv: id, text, url, title, site, published, the
    report metadata (doc_types, admin_level, department, region, years, doc_date) and meta.

    OUT may be `-` (stdout) for jsonl and csv. The file is written under a temporary name and
    renamed when complete, so an interrupted export leaves no half file behind.

    \b
    Example:
        docsites export --db corpus.db --format parquet corpus.parquet --where "published >= '2020'"
        docsites export corpus.jsonl --include-duplicates
        docsites export county-2023.csv --where "admin_level = '县' AND years LIKE '%2023%'"
    """
    fmt = fmt or next((f for f in FORMATS if out.endswith("." + f)), None)
    if not fmt:
        fail(f"{out}: give --format ({', '.join(FORMATS)}) or use one of those extensions")
    if out == "-" and fmt == "parquet":
        fail("parquet cannot be written to stdout; give a file name")
    if fmt == "parquet" and importlib.util.find_spec("pyarrow") is None:
        fail("parquet needs pyarrow: pip install 'docsites[parquet]'")
    if out != "-":
        output_folder_or_fail(out)
    try:
        conn = connect_ro(db_path)
    except store.StoreError as e:
        fail(str(e))
    rows_sql, count_sql = export_sql(where, include_duplicates)
    try:
        total = conn.execute(count_sql).fetchone()[0]
        cursor = conn.execute(rows_sql)
    except sqlite3.Error as e:
        fail(f"cannot export: {e}" + (" (check --where)" if where else ""))
    if progress is None:
        progress = total >= PROGRESS_FROM and sys.stderr.isatty()

    tmp = None if out == "-" else f"{out}.part"
    try:
        if fmt == "parquet":
            writer, f = ParquetWriter(tmp), None
        else:
            # stdout stays open; the .part file is closed below, before it replaces `out`
            f = sys.stdout if out == "-" else open(tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115
            writer = JsonlWriter(f) if fmt == "jsonl" else CsvWriter(f)
        from tqdm import tqdm
        bar = tqdm(total=total, unit="doc", disable=not progress, file=sys.stderr, desc="export")
        it = records(cursor)
        n = 0
        while True:
            batch = list(itertools.islice(it, BATCH))
            if not batch:
                break
            writer.write(batch)
            n += len(batch)
            bar.update(len(batch))
        bar.close()
        writer.close()
        if f is not None and f is not sys.stdout:
            f.close()
        if tmp:
            os.replace(tmp, out)
    except BaseException:
        if tmp and os.path.exists(tmp):
            os.remove(tmp)
        raise
    finally:
        conn.close()
    if out != "-":
        click.echo(f"{out}: {n} rows ({fmt})", err=True)
