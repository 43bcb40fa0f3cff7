"""The cinder-volume-ceph charm."""
