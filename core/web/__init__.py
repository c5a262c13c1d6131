"""Web plumbing shared by core and plugin routes: request context, templates, security."""
