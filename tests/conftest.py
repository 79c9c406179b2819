import os
import sys

import pytest

from docsites.demo.server import SITE_DIR, serve_in_thread

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
BIN = os.path.dirname(sys.executable)


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "corpus.db")


@pytest.fixture(scope="session")
def demo_site():
    """The bundled demo site on a free loopback port; yields its base URL."""
    server, url = serve_in_thread(SITE_DIR)
    yield url
    server.shutdown()
