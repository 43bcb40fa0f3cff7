"""The cinder-volume charm."""
