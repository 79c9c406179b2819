"""The Scrapy project of docsites: `scrapy crawl docsites`."""
