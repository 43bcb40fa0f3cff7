"""Prepares a charm for building: copies ops-sunbeam, the libraries and the templates it names."""
