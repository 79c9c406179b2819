"""The `docsites` command: `docsites VERB [ARGS]`.

Each verb is a click command in its own module under `docsites/verbs/` (named after the verb);
the group below finds them, so adding a verb touches no other file. Every verb's help ends with
an example (tests/test_cli.py fails on one that does not).
"""
from __future__ import annotations

import importlib
import logging
import os
import pkgutil

import click

from pipelines import defaults, store

DEFAULT_DB = defaults.CORPUS_DB
# What every verb that writes a corpus sets up in it: the pipelines' parts and the crawler's page
# roles (which pages were listings and which profile each belongs to: rebuild, merge and
# re-homing read them), as the crawl does (crawler/addon.py CORPUS_EXTENSIONS).
CORPUS_EXTENSIONS = (*defaults.CORPUS_EXTENSIONS, "crawler.pageroles.PAGE_ROLES")


def fail(message: str):
    """One-line error on stderr and exit status 1."""
    raise click.ClickException(message)


def open_db_or_fail(path: str):
    try:
        return store.open_db(path, extensions=CORPUS_EXTENSIONS)
    except store.StoreError as e:
        fail(str(e))


def open_readonly_or_fail(path: str):
    """The corpus at `path` for a verb that only reads: nothing is written, not even WAL mode, and
    a file that is not a docsites corpus is refused in one line."""
    try:
        return store.open_readonly(path)
    except store.StoreError as e:
        fail(str(e))


def output_folder_or_fail(path: str) -> None:
    """A verb writing the file `path` says so in one line when its folder does not exist."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        fail(f"cannot write {path}: folder {folder} does not exist")


# The options several verbs share, defined once.
db_option = click.option(
    "--db", "db_path", default=DEFAULT_DB, show_default=True, envvar="DOCSITES_DB",
    type=click.Path(dir_okay=False), help="corpus database (SQLite)",
)
existing_db_option = click.option(  # a verb that reads the corpus it changes (rebuild)
    "--db", "db_path", default=DEFAULT_DB, show_default=True, envvar="DOCSITES_DB",
    type=click.Path(exists=True, dir_okay=False), help="corpus database (SQLite)",
)
keep_languages_option = click.option(
    "--keep-languages", default=",".join(defaults.KEEP_LANGUAGES), show_default=True,
    help="comma-separated languages to keep; others are rejected with reason `language`")
min_chars_option = click.option("--min-chars", type=click.IntRange(0), default=defaults.MIN_DOCUMENT_CHARS,
                                show_default=True, help="shorter documents are rejected")
workers_option = click.option("--workers", type=click.IntRange(0), default=0,
                              help="extraction processes (default: one per CPU; 1: none, all in this process)")


class VerbGroup(click.Group):
    """Loads `docsites/verbs/<verb>.py` on demand and returns the command named after the module
    (`verbs/dedup.py` defines `dedup`; `verbs/find_copies.py` would be `docsites find-copies`)."""

    def list_commands(self, ctx):
        import docsites.verbs as verbs
        return sorted(m.name.replace("_", "-") for m in pkgutil.iter_modules(verbs.__path__))

    def get_command(self, ctx, name):
        try:
            module = importlib.import_module(f"docsites.verbs.{name.replace('-', '_')}")
        except ModuleNotFoundError as e:
            if e.name == f"docsites.verbs.{name.replace('-', '_')}":
                return None
            raise
        return getattr(module, name.replace("-", "_"), None)


@click.group(cls=VerbGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
