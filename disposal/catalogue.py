"""The measure catalogue (Art. 13): what customs can do with a goods item, versioned.

A measure has a code, names in Chinese and English, an Art. 13 kind, whether it blocks
release, the risk categories it addresses and its cost in inspection capacity. The
catalogue is configuration (``disposal/config/measures.yaml``, setting
``CUSTOMS_RISK_MEASURE_CATALOGUE``), validated on load.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from disposal.configfile import ConfigError, fingerprint, read_mapping, validation_problems
from sources.contracts import RESERVED_CATEGORIES, RISK_CATEGORIES
from sources.labels import Label

KNOWN_CATEGORIES: tuple[str, ...] = RISK_CATEGORIES + RESERVED_CATEGORIES


class MeasureKind(StrEnum):
    """Art. 13 kinds of measure, declared from the least to the most strict.

    The declaration order is the strictness rank (``rank``), used to find the strictest
    disposition of an item and of a declaration:

    0. ``release``: nothing to do.
    1. ``post_clearance_audit``: the goods leave now; the audit comes later.
    2. ``risk_warning``: the goods leave, but the officer is alerted at the clearance point.
    3. ``documentary_review``: release waits until the documents are checked (yellow lane).
    4. ``physical_inspection_scan``: the container goes through the scanner.
    5. ``physical_inspection_manual``: officers open and examine the goods (red lane).
    6. ``sampling_lab_test``: samples are taken; the result may take days.
    7. ``quarantine_treatment``: the goods are treated (fumigation, heat) before entry.
    8. ``hold_refuse_return``: the goods do not enter (held, refused, returned).
    """

    RELEASE = "release"
    POST_CLEARANCE_AUDIT = "post_clearance_audit"
    RISK_WARNING = "risk_warning"
    DOCUMENTARY_REVIEW = "documentary_review"
    PHYSICAL_INSPECTION_SCAN = "physical_inspection_scan"
    PHYSICAL_INSPECTION_MANUAL = "physical_inspection_manual"
    SAMPLING_LAB_TEST = "sampling_lab_test"
    QUARANTINE_TREATMENT = "quarantine_treatment"
    HOLD_REFUSE_RETURN = "hold_refuse_return"

    @property
    def rank(self) -> int:
        """Strictness: higher is stricter (the declaration order above)."""
        return _RANK[self]

    @property
    def inspects(self) -> bool:
        """Whether the goods themselves are examined (查验): what an inspection rate counts,
        and what a random or exploration pick needs so that it yields an outcome."""
        return self in INSPECTION_KINDS


_RANK = {kind: rank for rank, kind in enumerate(MeasureKind)}
INSPECTION_KINDS = frozenset(
    {
        MeasureKind.PHYSICAL_INSPECTION_SCAN,
        MeasureKind.PHYSICAL_INSPECTION_MANUAL,
        MeasureKind.SAMPLING_LAB_TEST,
    }
)
# Kinds that by definition let the goods go (release, audit after release) or keep them.
_NEVER_BLOCKS = frozenset({MeasureKind.RELEASE, MeasureKind.POST_CLEARANCE_AUDIT})
_ALWAYS_BLOCKS = frozenset({MeasureKind.HOLD_REFUSE_RETURN})


def known_categories(categories: tuple[str, ...]) -> tuple[str, ...]:
    """Validator body shared by measures, rules and instructions: known, listed once."""
    unknown = [c for c in categories if c not in KNOWN_CATEGORIES]
    if unknown:
        raise ValueError(f"unknown risk categories {unknown}; known: {list(KNOWN_CATEGORIES)}")
    if len(set(categories)) != len(categories):
        raise ValueError("a category is listed twice")
    return categories


class Measure(BaseModel):
    """One measure of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,7}$", description="Stable short code.")
    name_zh: str = Field(min_length=1, description="Name in Chinese.")
    name_en: str = Field(min_length=1, description="Name in English.")
    kind: MeasureKind
    blocks_release: bool = Field(description="Whether the goods wait for this measure.")
    categories: tuple[str, ...] = Field(
        (), description="Risk categories the measure addresses; empty = all."
    )
    capacity_cost: float = Field(ge=0, description="Inspection capacity units per goods item.")

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return known_categories(value)

    @model_validator(mode="after")
    def _release_consistent_with_kind(self) -> Measure:
        if self.kind in _NEVER_BLOCKS and self.blocks_release:
            raise ValueError(f"a {self.kind} measure cannot block release")
        if self.kind in _ALWAYS_BLOCKS and not self.blocks_release:
            raise ValueError(f"a {self.kind} measure must block release")
        return self

    def addresses(self, category: str) -> bool:
        return not self.categories or category in self.categories

    def name_in(self, lang: str | None) -> str:
        """The name in ``lang`` ("zh-CN" or "en"); English for any other language."""
        return Label(self.name_en, self.name_zh).in_(lang)


class UnknownMeasure(KeyError):
    """A measure code that the catalogue does not have."""

    def __str__(self) -> str:
        return str(self.args[0])


class MeasureCatalogue(BaseModel):
    """The measures by code, in file order, with the file's version and fingerprint."""

    model_config = ConfigDict(frozen=True)

    version: str = Field(min_length=1, description="Declared in the file; bump on change.")
    fingerprint: str = Field(description="Hash of the validated content.")
    measures: dict[str, Measure]

    @classmethod
    def load(cls, path: Path | str) -> MeasureCatalogue:
        """Read and validate a catalogue file (raises ``ConfigError`` naming every problem)."""
        return cls.from_mapping(read_mapping(Path(path)), source=str(path))

    @classmethod
    def from_mapping(cls, data: dict[str, Any], source: str = "catalogue") -> MeasureCatalogue:
        try:
            parsed = _CatalogueFile.model_validate(data)
        except ValidationError as error:
            raise ConfigError(validation_problems(source, data, error)) from error
        problems = _catalogue_problems(parsed, Path(source).name)
        if problems:
            raise ConfigError(problems)
        return cls(
            version=parsed.version,
            fingerprint=fingerprint(parsed.model_dump(mode="json")),
            measures={m.code: m for m in parsed.measures},
        )

    def measure(self, code: str) -> Measure:
        try:
            return self.measures[code]
        except KeyError:
            raise UnknownMeasure(
                f"measure {code!r} is not in catalogue {self.version} "
                f"(codes: {', '.join(self.measures)})"
            ) from None

    @property
    def release(self) -> Measure:
        """The one measure of kind ``release`` (load checks there is exactly one)."""
        return next(m for m in self.measures.values() if m.kind is MeasureKind.RELEASE)


class _CatalogueFile(BaseModel):
    """The file's shape; cross-entry checks are in ``_catalogue_problems``."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1)
    measures: list[Measure] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, value: Any) -> Any:
        # YAML reads `version: 2026.1` as a float; a version is text, so say so.
        if not isinstance(value, str):
            raise ValueError("write the version as a quoted string, e.g. '2026.1'")
        return value


def _catalogue_problems(parsed: _CatalogueFile, name: str) -> list[str]:
    problems = []
    first_index: dict[str, int] = {}
    for i, measure in enumerate(parsed.measures):
        if measure.code in first_index:
            problems.append(
                f"{name}: measures[{i}] (code {measure.code!r}) field 'code': "
                f"duplicate of measures[{first_index[measure.code]}]"
            )
        first_index.setdefault(measure.code, i)
    releases = [m.code for m in parsed.measures if m.kind is MeasureKind.RELEASE]
    if len(releases) != 1:
        problems.append(
            f"{name}: field 'measures': exactly one measure of kind 'release' is required, "
            f"found {len(releases)} ({', '.join(releases) or 'none'})"
        )
    return problems
