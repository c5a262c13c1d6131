"""Resources: documents and links attached to a space or a meeting, with a visibility."""
