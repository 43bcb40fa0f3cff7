"""The keystone-k8s charm."""
