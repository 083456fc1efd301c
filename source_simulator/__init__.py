"""source_simulator package."""
