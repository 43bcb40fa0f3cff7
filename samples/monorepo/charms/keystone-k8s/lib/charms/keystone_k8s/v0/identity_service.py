"""Published by keystone-k8s: the identity-service relation."""
