"""One module per `docsites` verb; the module `foo_bar.py` defines the click command `foo_bar`
and is run as `docsites foo-bar`."""
