"""The bundled demo doc site (pages in the styles of real 文库/范文 families) and its loopback server."""
