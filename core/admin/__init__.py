"""Administration pages for the city team (admins)."""
