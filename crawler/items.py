"""What the spider hands to the item pipeline: one fetched response, kept whole."""
import scrapy


class PageItem(scrapy.Item):
    url = scrapy.Field()         # the URL requested (canonical)
    final_url = scrapy.Field()   # after redirects
    status = scrapy.Field()
    headers = scrapy.Field()     # dict, lower-cased names
    body = scrapy.Field()        # raw bytes
    site = scrapy.Field()        # the site profile's name, when one matched
