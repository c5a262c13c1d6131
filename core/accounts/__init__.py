"""Accounts: users, passwords, sessions, roles and permissions, login throttling."""
