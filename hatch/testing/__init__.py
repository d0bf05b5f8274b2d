"""Helpers for tests and tools that need Hatch running as it runs in production."""
