"""Processing stages of docsites, usable without Scrapy.

A fetched or saved page flows through:  decode -> extract -> convert -> langid -> dedup -> store.
`pipelines.ingest.Ingestor` runs the whole chain; each stage is a small module named by its task.
"""

# The full-text index (pipelines/search.py) registers its schema hook on import, so every
# store.open_db creates it, whichever stages a process happens to import.
from . import search as _search  # noqa: E402,F401
