"""Admin views (being built)."""
