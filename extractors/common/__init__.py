"""Shared plumbing of the extractors: settings, HTTP with retries, the raw loader, bookkeeping."""
