"""Published by cinder-volume: the cinder-volume relation."""
