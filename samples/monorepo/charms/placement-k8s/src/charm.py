"""The placement-k8s charm."""
