"""What the spider hands to the item pipeline: one fetched response, kept whole (or why none came)."""
import scrapy


class PageItem(scrapy.Item):
    url = scrapy.Field()          # the URL requested (canonical; before redirects)
    final_url = scrapy.Field()    # after redirects
    status = scrapy.Field()
    headers = scrapy.Field()      # dict, lower-cased names
    body = scrapy.Field()         # raw bytes
    site = scrapy.Field()         # the site profile's name, when one matched
    kind = scrapy.Field()         # start | listing | document (profile mode) | page (generic mode)
    family = scrapy.Field()       # the profile's chrome family id
    hints = scrapy.Field()        # the profile's extraction hints (pipelines.extract.SiteHints), if any
    stored_sha1 = scrapy.Field()  # sha1 of the body the corpus already holds for this URL, if any
    stored_status = scrapy.Field()  # and that page's HTTP status
    error = scrapy.Field()        # no response at all (status 0): why, e.g. "TimeoutError: …"
