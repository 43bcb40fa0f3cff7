"""Vendored from charmhub: rabbitmq-k8s."""
LIBAPI = 0
