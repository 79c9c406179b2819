"""Scrapy settings for docsites. Defaults for the project's own settings live here, in one place."""

BOT_NAME = "docsites"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- the corpus -------------------------------------------------------------
CORPUS_DB = "corpus.db"          # where documents, duplicates, rejections and raw pages go
KEEP_LANGUAGES = ["zh"]          # documents in other languages are rejected with reason `language`
MIN_DOCUMENT_CHARS = 100         # shorter bodies are rejected with reason `too_short`

# --- politeness -------------------------------------------------------------
CONTACT = "https://github.com/docsites/docsites"   # set to a URL or mail address site owners can reach
USER_AGENT = f"docsites/0.1 (+{CONTACT}; research corpus crawler)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
COOKIES_ENABLED = False

ITEM_PIPELINES = {
    "crawler.pipelines.CorpusPipeline": 300,
}

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
