# Only for `scrapyd-deploy`, which builds its egg with `setup.py bdist_egg` (and writes a setup.py
# of its own that ignores pyproject.toml's package data when none exists). Everything is in pyproject.toml.
from setuptools import setup

setup()
