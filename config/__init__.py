"""Platform settings, importable from every layer (it imports no other package of ours)."""
