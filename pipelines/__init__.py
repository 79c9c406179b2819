"""Processing stages of docsites, usable without Scrapy.

A fetched or saved page flows through:  decode -> extract -> convert -> langid -> dedup -> store.
`pipelines.ingest.Ingestor` runs the whole chain; each stage is a small module named by its task.
Which parts a corpus has beyond its core tables is named when it is opened
(`store.open_db(path, extensions=…)`, default `defaults.CORPUS_EXTENSIONS`), never by what a
process imported.
"""
