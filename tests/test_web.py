"""A real headless Chromium types 科技 into Datasette's search box and sees the matching rows.

Chromium and chromedriver are Debian's (scripts/system-deps.sh); nothing is downloaded.
Set DOCSITES_UPDATE_SCREENSHOT=1 to refresh docs/search-screenshot.png (shown in the README).
"""
import os
import shutil
import tempfile
from contextlib import contextmanager

import pytest

from pipelines import store
from tests.conftest import ROOT
from tests.test_serve import Server, add, make_corpus

MORE = [
    ("kjcx", "2024年科技创新工作要点", "深入实施创新驱动发展战略，推进科技成果转化，加快建设区域科技创新中心。", "2024-02-18"),
    ("nyc", "农业农村局工作总结", "推广农业科技，培训新型职业农民三千人次，粮食生产保持稳定。", "2023-11-30"),
]

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1500,1000", "--lang=zh-CN"]


@contextmanager
def serving(tmp_path, docs):
    """`docsites serve` over tests/test_serve.py's sample corpus with `docs` added."""
    path = str(tmp_path / "corpus.db")
    make_corpus(path)
    db = store.open_db(path)
    for doc in docs:
        add(db, *doc)
    db.close()
    server = Server(path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        assert os.path.exists(path), f"{path} missing: run `bash scripts/system-deps.sh` (Debian chromium, chromium-driver)"
    profile = tempfile.mkdtemp(prefix="docsites-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_type_keji_in_the_search_box(tmp_path, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    with serving(tmp_path, MORE) as server:
        browser.get(server.base + "/corpus/documents")
        box = WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "_search")))
        box.send_keys("科技")
        box.send_keys(Keys.ENTER)
        WebDriverWait(browser, 30).until(EC.url_contains("_search="))
        rows = WebDriverWait(browser, 30).until(
            EC.presence_of_all_elements_located((By.CSS_SELECTOR, "table.rows-and-columns tbody tr")))
        titles = [r.find_element(By.CSS_SELECTOR, "td.col-title").text for r in rows]
        # newest first; 学校教育工作计划 has 科学技术, which is not 科技
        assert titles == ["2024年科技创新工作要点", "市科技局2023年工作总结", "农业农村局工作总结"]
        marks = browser.find_elements(By.CSS_SELECTOR, "td.col-text mark")
        assert marks and {m.text for m in marks} == {"科技"}
        assert browser.find_element(By.ID, "_search").get_attribute("value") == "科技"
        browser.execute_script("window.scrollTo(0, document.getElementById('_search').getBoundingClientRect().top"
                               " + window.scrollY - 120)")
        shot = (os.path.join(ROOT, "docs", "search-screenshot.png") if os.environ.get("DOCSITES_UPDATE_SCREENSHOT")
                else str(tmp_path / "search-screenshot.png"))
        assert browser.save_screenshot(shot) and os.path.getsize(shot) > 10_000


COUNTY = [
    ("sihong", "泗洪县科技局2023年工作总结", "2023年，县科技局围绕全县中心工作，推进科技创新。", "2024-01-05"),
    ("xxjy", "xx县教育局2023年工作总结", "2023年，县教育局全面推进教育优质均衡发展。", "2024-01-09"),
    ("jihua", "县科技局2023年工作计划", "2023年，我局将重点抓好科技成果转化。", "2023-02-01"),
    ("changsha", "长沙县2022年工作总结", "2022年，长沙县县域经济保持强劲发展势头。", "2023-01-10"),
]


def click_facet(browser, column, value):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    link = WebDriverWait(browser, 30).until(EC.element_to_be_clickable(
        (By.XPATH, f"//div[@id='facet-{column}']//a[normalize-space(text())='{value}']")))
    before = browser.current_url
    link.click()
    WebDriverWait(browser, 30).until(lambda b: b.current_url != before)


def test_facet_search_county_summaries_of_2023(tmp_path, browser):
    """Level 县, type 工作总结, year 2023 by clicking the facets: the two county summaries of 2023."""
    from selenium.webdriver.common.by import By

    with serving(tmp_path, COUNTY) as server:
        browser.get(server.base + "/corpus")
        tables = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "div.db-table h3 a")]
        assert tables[0] == "documents" and not {"_schema", "documents_fts"} & set(tables)
        browser.get(server.base + "/corpus/documents")
        assert not browser.find_element(By.CSS_SELECTOR, "details.docsites-glossary").get_attribute("open")
        click_facet(browser, "admin_level", "县")
        click_facet(browser, "doc_types", "工作总结")
        click_facet(browser, "years", "2023")
        rows = browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr")
        titles = sorted(r.find_element(By.CSS_SELECTOR, "td.col-title").text for r in rows)
        assert titles == ["xx县教育局2023年工作总结", "泗洪县科技局2023年工作总结"]
        # a search in traditional script on top of the facets
        box = browser.find_element(By.ID, "_search")
        box.send_keys("科技創新")
        box.submit()
        rows = browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr")
        assert [r.find_element(By.CSS_SELECTOR, "td.col-title").text for r in rows] == ["泗洪县科技局2023年工作总结"]
        assert {m.text for m in browser.find_elements(By.CSS_SELECTOR, "td.col-text mark")} == {"科技创新"}
        if os.environ.get("DOCSITES_UPDATE_SCREENSHOT"):
            browser.save_screenshot(os.path.join(ROOT, "docs", "facets-screenshot.png"))
