"""Spaces: the rooms where partners work (a platform, a working group, a committee)."""
