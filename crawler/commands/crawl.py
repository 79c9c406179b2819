"""`scrapy crawl`, with the spider's arguments checked before anything starts.

A misspelled `-a start_url=…` used to be ignored and the spider crawled every live site profile;
`-a max_pages=abc` was a traceback with exit status 0. A spider with a `check_arguments(kwargs,
settings)` classmethod (DocsitesSpider) is asked first: a ValueError (ArgumentError, ProfileError)
is printed as one line and the command exits with status 2, before a crawler, the engine or any
request exists.
"""
from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand


class Command(ScrapyCrawlCommand):
    def run(self, args, opts) -> None:
        if len(args) == 1:
            spider_class = self.crawler_process.spider_loader.load(args[0])
            check = getattr(spider_class, "check_arguments", None)
            if check is not None:
                try:
                    check(opts.spargs, self.settings)
                except ValueError as e:
                    print(f"scrapy crawl {args[0]}: {e}", file=sys.stderr)
                    self.exitcode = 2
                    return
        super().run(args, opts)
