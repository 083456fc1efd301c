"""Help desk (Okdesk API v1): issues, status history, time entries and dictionaries into raw_helpdesk."""
