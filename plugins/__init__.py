"""The built-in plugins of Réseau: one package per collaborative platform."""
