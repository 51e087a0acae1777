"""Unit tests of d1-test-node (standard library unittest)."""
