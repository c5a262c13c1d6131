"""The reminders engine: rules → outbox → email, exactly once."""
