"""Dagster wiring of the extractors: resources, one asset per raw table, GX and freshness checks."""
