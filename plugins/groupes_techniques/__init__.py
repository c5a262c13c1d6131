"""Groupes techniques et comités : les instances qui doivent se réunir, et le suivi de leurs obligations."""

LABEL = "Groupes techniques"
