"""The public JSON API (``/api/v1``) for the city's website."""
