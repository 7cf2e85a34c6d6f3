"""The terminal the commands print to."""

from __future__ import annotations

import shutil

from rich.console import Console

# Wide enough for the summary tables when output goes to a file or CI log.
console = Console(width=shutil.get_terminal_size((120, 24)).columns)
