"""Accounts, permissions, administration and audit: tests through HTTP on both databases."""
