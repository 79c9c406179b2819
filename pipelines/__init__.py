"""Processing stages of docsites, usable without Scrapy.

A fetched or saved page flows through:  decode -> extract -> convert -> langid -> dedup -> store.
`pipelines.ingest.Ingestor` runs the whole chain; each stage is a small module named by its task.
"""
