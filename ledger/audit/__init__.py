"""Audit: tamper-evident verification of the raw log, and digests to keep outside."""
