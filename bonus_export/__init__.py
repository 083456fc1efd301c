"""bonus_export package."""
