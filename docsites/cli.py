"""The `docsites` command: `docsites VERB [ARGS]`. Every verb's help ends with an example."""
from __future__ import annotations

import json
import logging
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import click

from pipelines import store
from pipelines.ingest import DEFAULT_KEEP_LANGUAGES, DEFAULT_MIN_CHARS, Ingestor, run_extraction
from pipelines.inputs import InputError, read_pages

logger = logging.getLogger(__name__)

DEFAULT_DB = "corpus.db"
# Below this many inputs a process pool costs more to start than it saves.
POOL_MIN_INPUTS = 8


def fail(message: str) -> None:
    """One-line error on stderr and exit status 1."""
    raise click.ClickException(message)


def open_db_or_fail(path: str):
    try:
        return store.open_db(path)
    except store.StoreError as e:
        fail(str(e))


db_option = click.option(
    "--db", "db_path", default=DEFAULT_DB, show_default=True, envvar="DOCSITES_DB",
    type=click.Path(dir_okay=False), help="corpus database (SQLite)",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="docsites")
@click.option("-v", "--verbose", count=True, help="more log output (-vv for debug)")
def cli(verbose):
    """docsites: build a clean, deduplicated corpus of Chinese documents from 文库 and 范文 sites.

    Crawl with `scrapy crawl docsites`; use these verbs for everything else.

    \b
    Example:
        docsites ingest saved/*.warc.gz --db corpus.db && docsites stats
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(levelname)s %(name)s: %(message)s")


def _extract_one(args: tuple[str, str | None]) -> tuple[str, list[dict], str | None]:
    """Worker: (path, lines of JSON documents, error message or None)."""
    path, url = args
    docs = []
    try:
        for page in read_pages(path, url):
            result = run_extraction(page)
            if isinstance(result, Exception):
                return path, docs, f"{page.url}: {result.__class__.__name__}: {result}"
            docs.extend(d.to_json() for d in result.documents)
    except InputError as e:
        return path, docs, str(e)
    return path, docs, None


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--url", help="URL to report for the inputs (default: the WARC target URI, else the path)")
@click.option("-j", "--jobs", type=int, default=None, help="worker processes (default: all cores)")
def extract(paths, url, jobs):
    """Print one JSON line per document found in each saved page.

    Inputs: .html/.htm (raw bytes, charset detected), .warc/.warc.gz (response records),
    .txt (a page already flattened to text). A bad input is reported on stderr and the
    others are still processed; the exit status is 1 if any input failed.

    \b
    Example:
        docsites extract page.html saved.warc.gz > docs.jsonl
    """
    jobs = jobs or os.cpu_count() or 1
    work = [(p, url) for p in paths]
    failed = 0
    if jobs > 1 and len(work) >= POOL_MIN_INPUTS:
        pool = ProcessPoolExecutor(max_workers=jobs)
        results = pool.map(_extract_one, work, chunksize=max(1, len(work) // (jobs * 8)))
    else:
        pool, results = None, map(_extract_one, work)
    try:
        for path, docs, error in results:
            for d in docs:
                click.echo(json.dumps(d, ensure_ascii=False))
            if error:
                failed += 1
                click.echo(f"error: {error}", err=True)
    finally:
        if pool:
            pool.shutdown()
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@db_option
@click.option("--url", help="URL to record for the inputs (default: the WARC target URI, else the path)")
@click.option("--keep-languages", default=",".join(DEFAULT_KEEP_LANGUAGES), show_default=True,
              help="comma-separated languages to keep; others are rejected with reason `language`")
@click.option("--min-chars", default=DEFAULT_MIN_CHARS, show_default=True, help="shorter documents are rejected")
def ingest(paths, db_path, url, keep_languages, min_chars):
    """Run the whole pipeline (extract, convert, language, dedup, store) on saved pages.

    \b
    Example:
        docsites ingest crawl-2026-11.warc.gz pages/*.html --db corpus.db
    """
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        fail(f"{missing[0]}: no such file")
    db = open_db_or_fail(db_path)
    ingestor = Ingestor(db, keep_languages=keep_languages.split(","), min_chars=min_chars)
    run_id = store.start_run(db, "ingest", {"paths": list(paths)})
    counts: dict[str, int] = {}
    failed = 0
    for path in paths:
        try:
            for page in read_pages(path, url):
                page.run_id = run_id
                for outcome in ingestor.ingest(page):
                    counts[outcome.table] = counts.get(outcome.table, 0) + 1
        except InputError as e:
            failed += 1
            click.echo(f"error: {e}", err=True)
    store.finish_run(db, run_id, "finished" if not failed else "finished_with_errors",
                     {**counts, "input_errors": failed})
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing ingested")
    if failed:
        sys.exit(1)


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="print the figures as one JSON object")
def stats(db_path, as_json):
    """Documents, duplicates and rejections per site and reason, and the last runs.

    \b
    Example:
        docsites stats --db corpus.db
    """
    if not os.path.exists(db_path):
        fail(f"{db_path}: no such database")
    db = open_db_or_fail(db_path)
    q = lambda sql: [list(r) for r in db.execute(sql).fetchall()]  # noqa: E731
    figures = {
        "pages": db["pages"].count,
        "documents": db["documents"].count,
        "duplicates": db["duplicates"].count,
        "rejected": db["rejected"].count,
        "documents_by_site": q("SELECT coalesce(site, '-'), count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC"),
        "duplicates_by_kind": q("SELECT kind, count(*) FROM duplicates GROUP BY 1 ORDER BY 2 DESC"),
        "rejected_by_reason": q("SELECT reason, count(*) FROM rejected GROUP BY 1 ORDER BY 2 DESC"),
        "last_runs": q("SELECT id, spider, started_at, finish_reason, stats FROM crawl_runs ORDER BY id DESC LIMIT 5"),
    }
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False))
        return
    click.echo(f"{db_path}: {figures['pages']} pages, {figures['documents']} documents, "
               f"{figures['duplicates']} duplicates, {figures['rejected']} rejected")
    for heading, key in (("documents by site", "documents_by_site"), ("duplicates by kind", "duplicates_by_kind"),
                         ("rejected by reason", "rejected_by_reason")):
        if figures[key]:
            click.echo(f"{heading}:")
            for name, n in figures[key]:
                click.echo(f"  {n:>7}  {name}")
    if figures["last_runs"]:
        click.echo("last runs:")
        for run_id, spider, started, reason, run_stats in figures["last_runs"]:
            click.echo(f"  #{run_id} {spider} {started} {reason or 'running'}")


def main():  # pragma: no cover - console entry point
    cli()
