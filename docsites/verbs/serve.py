"""`docsites serve`: browse and search corpus.db in Datasette, read-only."""
from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
import sqlite3
import tempfile
from importlib import resources

import click
import yaml

from docsites.cli import db_option, fail, open_db_or_fail, open_readonly_or_fail
from pipelines import search, store

# Cells of long texts are cut in the HTML table (the JSON keeps them whole).
SETTINGS = {"truncate_cells_html": 160, "facet_time_limit_ms": 500, "sql_time_limit_ms": 3000,
            # each suggestion is another query over the whole result; costly on a large corpus
            "suggest_facets": "off"}


def load_metadata(db_path: str, allow_sql: bool = True) -> dict:
    """The packaged metadata.yml, keyed by the name Datasette gives `db_path` (its file stem)."""
    text = resources.files("docsites").joinpath("metadata.yml").read_text(encoding="utf-8")
    meta = yaml.safe_load(text)
    name = os.path.splitext(os.path.basename(db_path))[0]
    meta["databases"] = {name: meta["databases"].pop("corpus")}
    meta["description_html"] = meta["description_html"].replace('href="corpus/', f'href="{name}/')
    for table in meta["databases"][name]["tables"].values():
        glossary(table)
    hidden = meta["databases"][name]["tables"]
    for table in internal_tables(db_path):
        hidden.setdefault(table, {})["hidden"] = True
    if not allow_sql:
        meta["allow_sql"] = False
    return meta


# Tables of the machinery, not of the corpus: kept out of the table lists (Datasette's
# "hidden tables" link still shows them).
INTERNAL_TABLES = re.compile(r"^(dedup_.*|_schema|.*_fts.*|documents_facets|page_roles|sqlite_.*)$")


def internal_tables(db_path: str) -> list[str]:
    try:
        conn = store.connect_readonly(db_path)
    except store.StoreError:
        return []
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
    except sqlite3.DatabaseError:
        return []
    finally:
        conn.close()
    return sorted(n for n in names if INTERNAL_TABLES.match(n))


def glossary(table: dict) -> None:
    """The column descriptions as a collapsed glossary under the table's description, instead of
    Datasette's list above the rows (sixteen lines before the first document)."""
    columns = table.pop("columns", None)
    if not columns:
        return
    items = "".join(f"<dt><code>{html.escape(c)}</code></dt><dd>{html.escape(d)}</dd>" for c, d in columns.items())
    description = html.escape(table.pop("description", "") or "")
    table["description_html"] = (f"{description} <details class=\"docsites-glossary\"><summary>Columns</summary>"
                                 f"<dl>{items}</dl></details>")


def index_state(db_path: str) -> tuple[bool, list[str]]:
    """(nothing for docsites to do before serving, problems with the index), read without writing.
    Work to do: a missing index, triggers of an older version, changes another tool wrote that
    wait to be indexed, documents without the report metadata columns, a narrow facet table
    missing or out of step (store.facet_table_current)."""
    try:
        conn = store.connect_readonly(db_path)
    except store.StoreError as e:
        raise click.ClickException(str(e)) from None
    try:
        have = dict(conn.execute("SELECT name, sql FROM sqlite_master").fetchall())
        if "documents" not in have:
            raise click.ClickException(f"{db_path}: not a docsites corpus (no documents table)")
        if not ({*search.TABLES, *search.TRIGGERS} <= set(have)):
            return False, []
        if any("docsites_" in (have[t] or "") for t in search.TRIGGERS):
            return False, []
        if "doc_types" not in {r[1] for r in conn.execute("PRAGMA table_info(documents)")}:
            return False, []
        if not store.facet_table_current(conn):  # missing, older, or a write bypassed its triggers
            return False, []

        class _Ro:  # search.check wants execute() and table_names()
            execute = conn.execute
            table_names = staticmethod(lambda: sorted(have))
        if search.pending(_Ro):
            return False, []
        return True, search.check(_Ro)
    except sqlite3.DatabaseError as e:
        raise click.ClickException(f"cannot read {db_path}: {e}") from e
    finally:
        conn.close()


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="address to bind (loopback unless told)")
@click.option("-p", "--port", default=8001, show_default=True, type=int, help="port to listen on")
@click.option("--reindex", is_flag=True, help="rebuild the search index before serving (after a VACUUM)")
@click.option("--no-sql", is_flag=True, help="no arbitrary SQL from the browser: tables and canned queries only")
def serve(db_path, host, port, reindex, no_sql):
    """Browse and search the corpus in Datasette (read-only).

    Search from the box on the documents table or with ?_search=: any Chinese term of one
    character up (科, 科技, 北京市科技局), in simplified or traditional script (總結 finds 总结);
    several terms separated by spaces must all match. Facets: kind of report, level, department,
    year, site. Changes written to corpus.db by other SQLite tools are indexed before serving.
    Nothing sent from the browser can change the database: it is opened read-only and every
    connection is query-only. Canned queries: search with snippets, documents of a type, level and
    year, documents per site and year,
    all copies of a document, rejections by reason, crawl runs with their statistics.

    \b
    Example:
        docsites serve --db corpus.db --port 8001
    """
    open_readonly_or_fail(db_path).close()  # a docsites corpus, or one line saying what it is not
    current, problems = index_state(db_path)
    readonly = not store.writable(db_path)
    if readonly and (reindex or not current):
        if reindex:
            fail(f"{db_path} is read-only: the search index cannot be rebuilt")
        click.echo(f"warning: {db_path} is read-only: serving it as it is (its search index cannot be "
                   "brought up to date)", err=True)
    elif reindex or not current:
        # Writing happens here, before the server exists; the served connections are read-only.
        # Opening the corpus brings it up to date: the index (what other tools wrote since), the
        # report metadata columns of an older corpus.
        click.echo(f"bringing the search index of {db_path} up to date …", err=True)
        db = open_db_or_fail(db_path)
        n = search.rebuild(db) if reindex else db.execute(f"SELECT count(*) FROM {search.FTS_TABLE}_docsize").fetchone()[0]
        db.close()
        click.echo(f"search index: {n} documents", err=True)
    elif problems:
        click.echo(f"warning: search index: {'; '.join(problems)} (run `docsites serve --reindex`)", err=True)

    from datasette.cli import cli as datasette_cli

    # Datasette reads metadata from a file. uvicorn re-raises the stopping signal after shutdown,
    # so nothing after it runs: name the file by its content instead of cleaning it up.
    meta = json.dumps(load_metadata(db_path, allow_sql=not no_sql), ensure_ascii=False)
    meta_path = os.path.join(tempfile.gettempdir(),
                             f"docsites-metadata-{hashlib.sha1(meta.encode()).hexdigest()[:12]}.json")
    tmp = f"{meta_path}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(meta)
    os.replace(tmp, meta_path)
    templates = str(resources.files("docsites") / "templates")  # documents first in the table list
    # a corpus the user cannot write is served immutable: Datasette could not open it read-only in WAL mode
    args = ["serve", *(["-i", db_path] if readonly else [db_path]), "--metadata", meta_path, "--host", host,
            "--port", str(port), "--template-dir", templates]
    for name, value in SETTINGS.items():
        args += ["--setting", name, str(value)]
    click.echo(f"serving {db_path} read-only at http://{host}:{port}/", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        datasette_cli.main(args=args, prog_name="docsites serve", standalone_mode=False)
