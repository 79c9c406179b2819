"""`docsites stats`: what the corpus holds."""
from __future__ import annotations

import json

import click

from docsites.cli import db_option, open_readonly_or_fail


@click.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="print the figures as one JSON object")
def stats(db_path, as_json):
    """Documents, duplicates and rejections per site and reason, and the last runs.

    \b
    Example:
        docsites stats --db corpus.db
    """
    db = open_readonly_or_fail(db_path)
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
        for run_id, spider, started, reason, _stats in figures["last_runs"]:
            click.echo(f"  #{run_id} {spider} {started} {reason or 'running'}")

