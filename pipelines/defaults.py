"""The corpus defaults shared by the crawl (crawler/addon.py) and the verbs (`docsites ingest`, …).

Defined once here, in a module that imports nothing, so the crawler's add-on and the command
line agree without either importing the other's stages.
"""

CORPUS_DB = "corpus.db"        # where documents, duplicates, rejections and raw pages go
KEEP_LANGUAGES = ("zh",)       # documents in other languages are rejected with reason `language`
MIN_DOCUMENT_CHARS = 100       # shorter bodies are rejected with reason `too_short`

# The parts of a corpus beyond its core tables that opening it sets up, in this order
# (pipelines.store.Extension records by import path, loaded when a corpus is opened, so naming
# them here imports nothing). The crawl and the `docsites` command add the crawler's page roles
# (crawler/addon.py CORPUS_EXTENSIONS, docsites/cli.py).
CORPUS_EXTENSIONS = (
    "pipelines.dedup.DEDUP_INDEX",                   # dedup_signatures, dedup_bands, dedup_meta
    "pipelines.extract.boilerplate.BOILERPLATE",     # boilerplate_sites, boilerplate_lines, boilerplate_pages
    "pipelines.search.SEARCH_INDEX",                 # documents_fts, its triggers; indexed before each COMMIT
)
