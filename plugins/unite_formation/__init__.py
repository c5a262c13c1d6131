"""Unité Locale de Formation : des cycles de formation courts et pratiques, ouverts à l'inscription."""

LABEL = "Unité Locale de Formation"
