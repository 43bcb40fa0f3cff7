"""Shared charm framework of the Sunbeam charms."""
