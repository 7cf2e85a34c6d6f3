"""The reviewers' web workbench: server-rendered pages (Jinja2) and their SVG charts."""
