"""Base classes of the Sunbeam charms."""
