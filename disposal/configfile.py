"""Reading the versioned YAML configuration of disposal, with errors a reader can act on.

Every problem names the file, the entry (with its code or name) and the field, and all
problems of a file are reported together, so a wrong file is fixed in one pass.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError


class ConfigError(ValueError):
    """A configuration file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def read_mapping(path: Path) -> dict[str, Any]:
    """The YAML file's top-level mapping (a parse error names the file and the line)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError([f"{path}: cannot be read ({error.strerror})"]) from error
    except yaml.YAMLError as error:
        raise ConfigError([f"{path}: not valid YAML: {error}"]) from error
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: the file must hold a mapping (version, ...)"])
    return data


def entry_label(data: Any, loc: tuple) -> str:
    """``rules[2] (name 'x') field 'target_share'`` for a location inside loaded data."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            label = f"[{step}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            if isinstance(node, dict):
                key = next((k for k in ("code", "name") if k in node), None)
                label += f" ({key} {node[key]!r})" if key else ""
            parts[-1:] = [(parts[-1] if parts else "") + label]
            continue
        node = node.get(step) if isinstance(node, dict) else None
        parts.append(str(step))
    if not parts:
        return "file"
    if isinstance(loc[-1], int):
        return ".".join(parts)
    *entry, field = parts
    return f"{'.'.join(entry)} field {field!r}" if entry else f"field {field!r}"


def validation_problems(path: Path | str, data: Any, error: ValidationError) -> list[str]:
    """One line per pydantic error: file, entry, field and what is wrong."""
    name = Path(path).name
    problems = []
    for detail in error.errors():
        message = detail["msg"].removeprefix("Value error, ")
        problems.append(f"{name}: {entry_label(data, tuple(detail['loc']))}: {message}")
    return problems


def fingerprint(content: Any) -> str:
    """Hash of the validated content (comments and layout do not count): a file edited
    without a version bump shows a different fingerprint under the same version."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
