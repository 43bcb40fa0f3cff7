"""Vendored from charmhub: tls-certificates-interface."""
LIBAPI = 3
LIBPATCH = 20
