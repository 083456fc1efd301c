"""Dagster definitions per area (one module each, exposing `defs`)."""
