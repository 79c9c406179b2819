"""The corpus defaults shared by the crawl (crawler/addon.py) and the verbs (`docsites ingest`, …).

Defined once here, in a module that imports nothing, so the crawler's add-on and the command
line agree without either importing the other's stages.
"""

CORPUS_DB = "corpus.db"        # where documents, duplicates, rejections and raw pages go
KEEP_LANGUAGES = ("zh",)       # documents in other languages are rejected with reason `language`
MIN_DOCUMENT_CHARS = 100       # shorter bodies are rejected with reason `too_short`
