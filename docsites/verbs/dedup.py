"""`docsites dedup`: the dedup index, why a page was matched, and re-clustering."""
from __future__ import annotations

import json
from dataclasses import fields, replace

import click

from crawler.pageroles import PageHints  # stored pages are re-read with their site profile's hints
from docsites.cli import db_option, fail, open_db_or_fail, open_readonly_or_fail
from docsites.stored import profiles_option, profiles_or_fail
from pipelines import store
from pipelines.dedup import DedupConfig, Deduplicator, IndexMismatch, fingerprint, judge, shared_passages, stored_config
from pipelines.ingest import reextract_part


def _page_text(db, url: str, part: int, hints=None) -> str | None:
    """The text dedup saw for (url, part): the stored document's, else a re-extraction of the page."""
    row = db.execute("SELECT text FROM documents WHERE url = ? AND part = ?", [url, part]).fetchone()
    if row:
        return row[0]
    doc = reextract_part(db, url, part, hints)
    return doc.text if doc else None


def explain(db, url: str, config: DedupConfig, hints=None) -> list[dict]:
    reports = []
    dedup = Deduplicator(db, config, index_missing=False, readonly=True)
    for part, in db.execute("""SELECT part FROM documents WHERE url = ? UNION SELECT part FROM duplicates
                               WHERE url = ? UNION SELECT part FROM rejected WHERE url = ? ORDER BY 1""",
                            [url, url, url]).fetchall():
        rep = {"url": url, "part": part}
        doc = db.execute("SELECT id, title, chars FROM documents WHERE url = ? AND part = ?", [url, part]).fetchone()
        dup = db.execute("SELECT dup_of, kind, similarity, seen_at FROM duplicates WHERE url = ? AND part = ?",
                         [url, part]).fetchone()
        rej = db.execute("SELECT reason, detail FROM rejected WHERE url = ? AND part = ?", [url, part]).fetchone()
        if doc:
            rep.update(outcome="document", id=doc[0], title=doc[1], chars=doc[2])
            rep["duplicates"] = [dict(zip(("url", "part", "kind", "similarity"), r, strict=True)) for r in db.execute(
                "SELECT url, part, kind, similarity FROM duplicates WHERE dup_of = ? ORDER BY similarity DESC",
                [doc[0]]).fetchall()]
        elif dup:
            rep.update(outcome="duplicate", dup_of=dup[0], kind=dup[1], similarity=dup[2], seen_at=dup[3])
            target = db.execute("SELECT url, part, title, text FROM documents WHERE id = ?", [dup[0]]).fetchone()
            text = _page_text(db, url, part, hints)
            if target:
                rep["matched"] = {"url": target[0], "part": target[1], "title": target[2], "chars": len(target[3])}
            if target and text:
                fp = fingerprint(text, config)
                ov = dedup.compare(fp, dup[0], target[3])
                rep["now"] = {"chars": len(text), "shingle": config.shingle, **ov,
                              "verdict": _verdict(ov, config)}
                rep["shared_passages"] = shared_passages(text, target[3], config.shingle)
                rep["candidates"] = dedup.candidates(fp)[:5]
            elif not text:
                rep["now"] = "the page's text cannot be re-read (page not kept)"
        elif rej:
            rep.update(outcome="rejected", reason=rej[0], detail=rej[1])
        reports.append(rep)
    return reports


def _verdict(ov: dict, config: DedupConfig) -> str:
    v = judge(ov, config)
    if v is None:
        return (f"no longer a duplicate at the current thresholds (near >= {config.near_threshold}, "
                f"contained >= {config.containment_threshold})")
    return f"{v[0]} (similarity {v[1]:.3f})"


def _print_explain(reports: list[dict]) -> None:
    for rep in reports:
        head = f"{rep['url']}#{rep['part']}: "
        if rep["outcome"] == "document":
            click.echo(head + f"stored document {rep['id']} ({rep['chars']} chars, {rep['title'] or 'untitled'}); "
                       f"{len(rep['duplicates'])} duplicates point at it")
            for d in rep["duplicates"][:20]:
                click.echo(f"  {d['kind']:<9} {d['similarity']:.3f}  {d['url']}#{d['part']}")
        elif rep["outcome"] == "duplicate":
            m = rep.get("matched", {})
            click.echo(head + f"duplicate ({rep['kind']}, similarity {rep['similarity']:.3f}) of document "
                       f"{rep['dup_of']}: {m.get('url')}#{m.get('part')} ({m.get('title') or 'untitled'}, "
                       f"{m.get('chars')} chars)")
            now = rep.get("now")
            if isinstance(now, dict):
                click.echo(f"  now: {now['chars']} chars; char {now['shingle']}-grams {now['shingles'][0]} vs "
                           f"{now['shingles'][1]}, {now['shared']} shared; Jaccard {now['jaccard']:.3f}, "
                           f"containment of the shorter {now['containment']:.3f} -> {now['verdict']}")
                for p in rep.get("shared_passages", []):
                    click.echo(f"  shared passage ({len(p)} chars): {p[:80]}{'…' if len(p) > 80 else ''}")
            elif now:
                click.echo(f"  {now}")
        else:
            click.echo(head + f"rejected: {rep['reason']} ({rep['detail']})")


def _config(db, options: dict) -> DedupConfig:
    """The database's dedup settings, with the options given on the command line over them."""
    return replace(stored_config(db), **{k: v for k, v in options.items() if v is not None})


@click.command()
@db_option
@click.option("--explain", "explain_url", metavar="URL", help="say which document this page was matched to, and why")
@click.option("--rebuild", is_flag=True, help="re-cluster the whole database with the current thresholds")
@click.option("--near-threshold", type=float, help=f"Jaccard for near copies [default: {DedupConfig.near_threshold}]")
@click.option("--containment-threshold", type=float,
              help=f"share of the shorter copy inside the longer [default: {DedupConfig.containment_threshold}]")
@click.option("--shingle", type=int, help=f"characters per shingle [default: {DedupConfig.shingle}]")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@profiles_option
def dedup(db_path, explain_url, rebuild, near_threshold, containment_threshold, shingle, as_json, profiles_dir):
    """Inspect and re-run duplicate detection (exact, near and contained copies).

    Without options: the index and duplicates by kind. `--explain URL` says which document a page
    was matched to and why (kind, similarity, shared shingles, containment, shared passages).
    `--rebuild` re-clusters every document and duplicate after a threshold change; ids of
    documents that stay documents are kept, and every page still ends in exactly one place.

    \b
    Example:
        docsites dedup --explain https://www.renrendoc.com/paper/123.html --db corpus.db
        docsites dedup --rebuild --containment-threshold 0.75
    """
    # only --rebuild writes; inspecting opens the corpus read-only (and refuses what is not one)
    db = open_db_or_fail(db_path) if rebuild else open_readonly_or_fail(db_path)
    config = _config(db, {"near_threshold": near_threshold, "containment_threshold": containment_threshold,
                      "shingle": shingle})
    hints = PageHints(db, profiles_or_fail(profiles_dir)).hints
    if rebuild:
        from pipelines.dedup.rebuild import rebuild as run_rebuild
        result = run_rebuild(db, config, hints)
        problems = store.check_invariant(db)
        if problems:
            fail(f"rebuild left {len(problems)} problems, first: {problems[0]}")
        if as_json:
            click.echo(json.dumps(result))
        else:
            click.echo(f"rebuilt: documents {result['before']['documents']} -> {result['after']['documents']}, "
                       f"duplicates {result['before']['duplicates']} -> {result['after']['duplicates']} "
                       f"({result['re_extracted']} duplicate pages re-extracted)")
        return
    if explain_url:
        try:
            reports = explain(db, explain_url, config, hints)
        except IndexMismatch as e:
            fail(str(e))
        if not reports:
            fail(f"{explain_url}: not in the corpus (never fetched, or fetched under another URL)")
        if as_json:
            click.echo(json.dumps(reports, ensure_ascii=False, default=str))
        else:
            _print_explain(reports)
        return
    figures = {
        "documents": db["documents"].count,
        "indexed": db["dedup_signatures"].count,
        "band_rows": db["dedup_bands"].count,
        "duplicates_by_kind": dict(db.execute("SELECT kind, count(*) FROM duplicates GROUP BY kind").fetchall()),
        "config": {f.name: getattr(config, f.name) for f in fields(DedupConfig)},
    }
    if as_json:
        click.echo(json.dumps(figures))
        return
    click.echo(f"{figures['documents']} documents, {figures['indexed']} indexed "
               f"({figures['band_rows']} LSH band rows); duplicates by kind: "
               + (", ".join(f"{k} {v}" for k, v in figures["duplicates_by_kind"].items()) or "none"))
    click.echo("settings: " + ", ".join(f"{k}={v}" for k, v in figures["config"].items()))

