"""`docsites report`: one self-contained HTML page of figures and charts about the corpus."""
from __future__ import annotations

import os
import sqlite3

import click

from docsites import report as report_page
from docsites.cli import db_option, fail, output_folder_or_fail
from pipelines import store


@click.command()
@click.argument("out", type=click.Path(dir_okay=False))
@db_option
@click.option("--title", default=None, help="page title (default: the database file name)")
def report(out, db_path, title):
    """Write one HTML page (inline SVG charts, no scripts, nothing fetched) about the corpus.

    Documents per site and per year, duplicates by kind, rejections by reason, text length
    distribution, share of traditional-script and truncated sources, crawl runs over time.
    The database is opened read-only.

    \b
    Example:
        docsites report --db corpus.db report.html
    """
    output_folder_or_fail(out)
    try:
        conn = store.open_readonly(db_path).conn
        try:
            figures = report_page.gather(conn)
        finally:
            conn.close()
    except store.StoreError as e:
        fail(str(e))
    except sqlite3.Error as e:
        fail(f"cannot read {db_path}: {e}")
    page = report_page.render(figures, title or f"docsites corpus: {os.path.basename(db_path)}")
    tmp = out + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, out)
    click.echo(f"{out}: {figures['documents']:,} documents, {figures['duplicates']:,} duplicates, "
               f"{figures['rejected']:,} rejected", err=True)
