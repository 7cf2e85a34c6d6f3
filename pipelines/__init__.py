"""Prefect flows: thin orchestration over ``features`` and ``models``."""
