"""The nova-k8s charm."""
