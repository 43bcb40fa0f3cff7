"""Vendored from charmhub: data-platform-libs."""
LIBAPI = 0
LIBPATCH = 37
