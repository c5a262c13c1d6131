"""The partner directory: organisations, contacts, their affiliations, tags and search."""
