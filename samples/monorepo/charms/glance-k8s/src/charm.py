"""The glance-k8s charm."""
