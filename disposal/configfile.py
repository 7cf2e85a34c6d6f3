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
    labels: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and step < len(node) else None
            label = f"[{step}]" + _entry_name(node)
            labels[-1:] = [(labels[-1] if labels else "") + label]
        else:
            node = node.get(step) if isinstance(node, dict) else None
            labels.append(str(step))
    if not labels:
        return "file"
    if labels[-1].endswith(")"):  # the entry as a whole
        return ".".join(labels)
    *entry, field = labels
    return f"{'.'.join(entry)} field {field!r}" if entry else f"field {field!r}"


def _entry_name(node: Any) -> str:
    """`` (code 'MAN')``: how a reader finds the entry in the file."""
    if isinstance(node, dict):
        for key in ("code", "name"):
            if key in node:
                return f" ({key} {node[key]!r})"
    return ""


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
