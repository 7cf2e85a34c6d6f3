"""The decision on a declaration, as the scoring core returns it and the API answers it.

One shape: ``models.scoring.Scorer.score`` builds these objects and ``serving.schemas``
declares them as the response models of ``/v1/score`` and ``/v1/score/batch``, so the
field names, descriptions and order live here only.

The scoring core fills them with values it computed itself, so it builds them with
:meth:`_Trusted.trusted`, without validation: on the one-declaration path validating
some sixty small objects would cost more than the features.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, Field

_new = object.__new__
_set = object.__setattr__


class _Trusted(BaseModel):
    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """An instance from values known to fit the fields (every field given): what
        ``model_construct`` does, without its per-field default handling."""
        instance = _new(cls)
        _set(instance, "__dict__", values)
        _set(instance, "__pydantic_fields_set__", set(values))
        _set(instance, "__pydantic_extra__", None)
        _set(instance, "__pydantic_private__", None)
        return instance


class Reason(_Trusted):
    feature: str
    label: str
    value: Any
    contribution: float = Field(description="Log-odds contribution (TreeSHAP), signed.")


class Severity(_Trusted):
    measure: str = Field(description="What the value measures.")
    value: float


class Trend(_Trusted):
    direction: Literal["rising", "stable", "falling", "no_data"] = Field(
        description="Findings rate of the HS chapter × origin segment, last 90 days against "
        "the 275 days before (outcomes known before the declaration): rising or falling only "
        "when the change is beyond chance (exact conditional test, 5 % two-sided), else "
        "stable (also 0 → 0); no_data when either period has fewer than 10 known inspections."
    )
    recent_rate: float | None = Field(description="Findings rate of the last 90 days.")
    previous_rate: float | None = Field(description="Findings rate of the 275 days before.")


class Uncertainty(_Trusted):
    interval_90: list[float] = Field(
        description="90 % interval of the calibrated probability: the calibration map "
        "refitted on bootstrap resamples of the held-out calibration window (5 % and 95 % "
        "quantiles); it always holds `probability`. Its coverage on the test window is in "
        "the model card."
    )
    calibration_support: int = Field(
        description="Held-out declarations whose calibrated score fell in the same "
        "calibration bin (Art. 16: below 30 the decision is flagged low-support)."
    )


class CategoryRisk(_Trusted):
    """Art. 10 assessment of one category."""

    probability: float = Field(description="Calibrated probability of a finding.")
    likelihood: float = Field(description="Art. 10 likelihood: the calibrated probability.")
    severity: Severity = Field(description="Art. 10 severity: what is at stake.")
    trend: Trend = Field(description="Art. 10 trend of the declaration's segment.")
    uncertainty: Uncertainty = Field(description="Art. 16: how well the score is supported.")
    level: int = Field(
        ge=1,
        le=4,
        description="Risk level 1-4 (4 highest): level k when the probability is strictly "
        "above level k's cut-off, set by the inspection capacity on recent declarations; a "
        "probability of 0 is level 1.",
    )
    reasons: list[Reason] = Field(description="Hazard factors: top TreeSHAP contributions.")


class Decision(_Trusted):
    request_id: str
    declaration_id: str
    item_no: int
    model_version: str
    thresholds_version: str
    input_hash: str
    scored_at: str
    overall_probability: float = Field(
        description="Probability of a finding in any scored category (categories combined as "
        "independent)."
    )
    overall_level: int = Field(
        ge=1,
        le=4,
        description="The highest of the categories' levels and the level of the overall "
        "probability (by its own capacity cut-offs): never below any category's level.",
    )
    low_support: bool = Field(
        description="Art. 16: the score rests on little experience (new consignee, unseen "
        "HS × origin pair, or a sparsely supported calibration bin); a candidate for sampling."
    )
    low_support_reasons: list[str]
    risks: dict[str, CategoryRisk]
    not_scored: dict[str, str] = Field(
        description="Categories without a model and why (e.g. too few labels)."
    )
    reasons_unit: str
    consignee_credit_level: str | None = Field(
        description="The consignee's Order No. 282 credit level as of the declaration (none "
        "without a credit record), which the disposal policy weighs (Art. 12)."
    )
