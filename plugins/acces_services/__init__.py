"""Plateforme d'accès aux institutions, aux services et aux prestations du territoire."""

LABEL = "Accès aux services"
