"""Scrapy settings of the docsites project: the project's names, logging, and the docsites add-on.

Every docsites default, and the components, live in the add-on (crawler/addon.py), so another
settings module (a CrawlerProcess, a Scrapyd project) gets the same crawl by listing it. Every
setting is described in docs/crawling.md; override any of them here or with `-s NAME=VALUE`.
"""

BOT_NAME = "docsites"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"   # `scrapy crawl` checks the spider's arguments before crawling

ADDONS = {"crawler.addon.Docsites": 0}   # the defaults and components; the distributed add-on with REDIS_URL

LOG_LEVEL = "INFO"
