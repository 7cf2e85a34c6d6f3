"""The disposal policy (Art. 12): scores, credit and segment → measures, within capacity.

Configuration (``disposal/config/policy.yaml``, setting ``CUSTOMS_RISK_DISPOSAL_POLICY``),
versioned and validated against the measure catalogue on load. It says:

- per Order No. 282 credit level, a ``weight`` multiplying an item's risk priority and a
  ``random_share`` of items selected at random for inspection (双随机);
- ordered capacity ``rules``: a measure, the categories it looks at, the share of all goods
  items it should reach (``target_share``) and optional conditions (a minimum level in one
  of its categories, HS chapters);
- Art. 16 ``exploration``: low-support items sampled for learning under a capped budget;
  a trusted consignee is explored less (probability × its weight when the weight is
  below 1), since an exploration pick is an inspection like any other.

An item's priority for a rule is ``credit weight × P(a finding in any of the rule's
categories) = weight × (1 − Π(1 − p_c))``. Capacity is explicit, as ASYCUDA's expected
rates: ``derive_thresholds`` sets each rule's threshold on a reference score table so that
the share of reference items above it is the rule's target share.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from disposal.catalogue import MeasureCatalogue, MeasureKind, known_categories
from disposal.configfile import ConfigError, fingerprint, read_mapping, validation_problems
from disposal.items import PROBABILITY_PREFIX, ScoreColumns
from sources.contracts import CREDIT_LEVELS

_SHARE = Field(ge=0.0, le=1.0)


class CreditTerms(BaseModel):
    """How one credit level modulates intensity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weight: float = Field(gt=0, description="Multiplies the item's risk priority.")
    random_share: float = Field(
        ge=0.0, le=1.0, description="Probability that an item is selected at random (双随机)."
    )


class Exploration(BaseModel):
    """Art. 16: low-support items sampled for learning, under a separate capped budget."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measure: str = Field(description="Measure applied to an explored item (an inspection).")
    share: float = Field(ge=0.0, le=1.0, description="Probability for a low-support item.")
    cap: float = Field(ge=0.0, le=1.0, description="Most explored items, as a share of all.")


class PolicyRule(BaseModel):
    """One capacity rule: a measure for the items of highest priority in its categories."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,47}$")
    measure: str
    categories: tuple[str, ...] = Field(min_length=1)
    target_share: float = Field(ge=0.0, le=1.0, description="Share of all goods items reached.")
    min_level: int | None = Field(
        None, ge=1, le=4, description="Level one of the categories must also reach."
    )
    hs_chapters: tuple[str, ...] = Field(
        (), description="Segment: two-digit HS chapters the rule applies to; empty = all."
    )
    stake: Literal["declared_duty"] | None = Field(
        None,
        description="Weigh the priority by what a finding recovers: 'declared_duty' "
        "multiplies it by the duty on the declared value (CNY), ranking by expected duty.",
    )

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return known_categories(value)

    @field_validator("hs_chapters")
    @classmethod
    def _chapters(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [c for c in value if not (len(c) == 2 and c.isdigit() and "01" <= c <= "97")]
        if wrong:
            raise ValueError(f"HS chapters are two digits 01-97 (quoted in YAML): {wrong}")
        return value


class DisposalPolicy(BaseModel):
    """The validated policy file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    release_measure: str
    unrated_credit_level: str = Field(
        description="Level applied to a consignee without a credit record."
    )
    credit: dict[str, CreditTerms]
    random_measure: str = Field(description="Measure applied to a random pick (an inspection).")
    exploration: Exploration
    rules: tuple[PolicyRule, ...]

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("write the version as a quoted string, e.g. '2026.1'")
        return value

    @cached_property
    def fingerprint(self) -> str:
        """Hash of the validated content: an edit without a version bump shows here."""
        return fingerprint(self.model_dump(mode="json"))

    @classmethod
    def load(cls, path: Path | str, catalogue: MeasureCatalogue) -> DisposalPolicy:
        """Read a policy file and validate it, also against the catalogue's measures."""
        return cls.from_mapping(read_mapping(Path(path)), catalogue, source=str(path))

    @classmethod
    def from_mapping(
        cls, data: dict[str, Any], catalogue: MeasureCatalogue, source: str = "policy"
    ) -> DisposalPolicy:
        try:
            policy = cls.model_validate(data)
        except ValidationError as error:
            raise ConfigError(validation_problems(source, data, error)) from error
        name = Path(source).name
        problems = [f"{name}: {p}" for p in policy_problems(policy, catalogue)]
        if problems:
            raise ConfigError(problems)
        return policy

    def rule(self, name: str) -> PolicyRule:
        return next(r for r in self.rules if r.name == name)

    def credit_levels(self, credit_level: np.ndarray) -> np.ndarray:
        """Each item's credit level, the unrated level where there is no credit record."""
        resolved = np.where(pd.isna(credit_level), self.unrated_credit_level, credit_level).astype(
            object
        )
        unknown = sorted(set(resolved) - set(self.credit))
        if unknown:
            raise ValueError(f"unknown credit levels {unknown}; known: {list(CREDIT_LEVELS)}")
        return resolved

    def weights(self, levels: np.ndarray) -> np.ndarray:
        return np.array([self.credit[level].weight for level in levels], dtype=float)

    def random_shares(self, levels: np.ndarray) -> np.ndarray:
        return np.array([self.credit[level].random_share for level in levels], dtype=float)

    def exploration_probabilities(
        self, levels: np.ndarray, low_support: np.ndarray, base: float
    ) -> np.ndarray:
        """``base × min(1, weight)`` for a low-support item, else 0: exploration does not
        lift a trusted consignee's inspection rate above what its credit allows."""
        return np.where(low_support, base * np.minimum(1.0, self.weights(levels)), 0.0)


def policy_problems(policy: DisposalPolicy, catalogue: MeasureCatalogue) -> list[str]:
    """What the policy gets wrong about credit levels, rule names and the catalogue."""
    problems = [
        f"credit field {level!r}: missing (every Order No. 282 level needs terms)"
        for level in CREDIT_LEVELS
        if level not in policy.credit
    ]
    problems += [
        f"credit field {level!r}: not an Order No. 282 level ({', '.join(CREDIT_LEVELS)})"
        for level in policy.credit
        if level not in CREDIT_LEVELS
    ]
    if policy.unrated_credit_level not in CREDIT_LEVELS:
        problems.append(f"field 'unrated_credit_level': {policy.unrated_credit_level!r} unknown")
    problems += _measure_problems(policy, catalogue)
    seen: set[str] = set()
    for i, rule in enumerate(policy.rules):
        if rule.name in seen:
            problems.append(f"rules[{i}] (name {rule.name!r}) field 'name': duplicate")
        seen.add(rule.name)
    return problems


def _measure_problems(policy: DisposalPolicy, catalogue: MeasureCatalogue) -> list[str]:
    """Measure codes must exist; release is the release kind; random and exploration picks
    must inspect the goods (else they teach nothing); a rule's measure must address its
    categories."""
    measures = catalogue.measures
    where = f"in catalogue {catalogue.version}"
    problems = []
    release = measures.get(policy.release_measure)
    if release is None or release.kind is not MeasureKind.RELEASE:
        problems.append(
            f"field 'release_measure': {policy.release_measure!r} is not the "
            f"release measure {where} ({catalogue.release.code})"
        )
    for field, code in (
        ("random_measure", policy.random_measure),
        ("exploration field 'measure'", policy.exploration.measure),
    ):
        measure = measures.get(code)
        if measure is None or not measure.kind.inspects:
            problems.append(f"field {field!r}: {code!r} is not an inspection measure {where}")
    for i, rule in enumerate(policy.rules):
        label = f"rules[{i}] (name {rule.name!r}) field"
        measure = measures.get(rule.measure)
        if measure is None:
            problems.append(f"{label} 'measure': {rule.measure!r} is not {where}")
        elif measure.kind is MeasureKind.RELEASE:
            problems.append(f"{label} 'measure': a rule imposes a measure, not release")
        elif not all(measure.addresses(c) for c in rule.categories):
            problems.append(
                f"{label} 'categories': {rule.measure} addresses only {list(measure.categories)}"
            )
    return problems


# --- priorities and thresholds --------------------------------------------------------------


def rule_priority(
    categories: tuple[str, ...],
    scores: ScoreColumns,
    weights: np.ndarray,
    stake: str | None = None,
) -> np.ndarray:
    """``weight × (1 − Π(1 − p_c))`` over the given categories, one value per item; times
    the duty on the declared value for a ``declared_duty`` stake (0 where it is unknown:
    such an item cannot be ranked by what it would recover)."""
    clear = np.ones(len(scores))
    for category in categories:
        clear = clear * (1.0 - scores.probabilities[category])
    priority = weights * (1.0 - clear)
    if stake == "declared_duty":
        duty = scores.declared_duty
        if duty is None:
            raise ValueError("a rule weighing the declared duty needs the items' declared duty")
        priority = priority * np.nan_to_num(duty, nan=0.0)
    return priority


def rule_eligible(rule: PolicyRule, categories: tuple[str, ...], scores: ScoreColumns):
    """Items meeting the rule's segment (HS chapters) and minimum-level conditions."""
    eligible = np.ones(len(scores), dtype=bool)
    if rule.hs_chapters:
        chapters = np.array([code[:2] for code in scores.hs_code], dtype=object)
        eligible &= np.isin(chapters, list(rule.hs_chapters))
    if rule.min_level is not None:
        missing = [c for c in categories if c not in scores.levels]
        if missing:
            raise ValueError(f"rule {rule.name!r} needs levels of {missing} (level_ columns)")
        reached = np.zeros(len(scores), dtype=bool)
        for category in categories:
            reached |= scores.levels[category] >= rule.min_level
        eligible &= reached
    return eligible


class RuleThreshold(BaseModel):
    """A rule's threshold on its priority, as derived on the reference."""

    model_config = ConfigDict(frozen=True)

    rule: str
    measure: str
    kind: MeasureKind
    active: bool = Field(
        description="False when none of its categories is scored or no reference item meets "
        "its conditions: it then selects nothing, and says why in ``note``."
    )
    categories: tuple[str, ...] = Field(description="Scored categories the priority uses.")
    unscored_categories: tuple[str, ...]
    target_share: float
    threshold: float | None = Field(description="An item is selected when priority > this.")
    reference_share: float = Field(0.0, description="Share of reference items it selects.")
    added_share: float = Field(
        0.0,
        description="Of which not reached by an earlier rule of the same kind: the share "
        "the target is met on, so that the targets of one kind add up.",
    )
    note: str = ""


class PolicyThresholds(BaseModel):
    """Thresholds of every rule and the exploration probability, for one policy, catalogue
    and reference (a plain, serialisable object: ``to_dict`` / ``from_dict``)."""

    model_config = ConfigDict(frozen=True)

    version: str = Field(description="Hash of policy, catalogue and reference.")
    policy_version: str
    policy_fingerprint: str
    catalogue_version: str
    catalogue_fingerprint: str
    reference_id: str = Field(description="What the reference is, e.g. the model version.")
    reference_fingerprint: str
    reference_items: int
    rules: tuple[RuleThreshold, ...]
    reference_low_support_share: float
    exploration_probability: float = Field(
        description="Base probability of exploring a low-support item (times min(1, credit "
        "weight)): the policy's share, lowered so that explored items stay within the cap "
        "on the reference."
    )

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyThresholds:
        return cls.model_validate(data)

    def rule(self, name: str) -> RuleThreshold:
        return next(r for r in self.rules if r.rule == name)

    def check(self, policy: DisposalPolicy, catalogue: MeasureCatalogue) -> None:
        """Refuse to apply thresholds derived for another policy or catalogue."""
        if (self.policy_version, self.policy_fingerprint) != (policy.version, policy.fingerprint):
            raise ValueError(
                f"thresholds {self.version} were derived for policy {self.policy_version} "
                f"({self.policy_fingerprint}), not {policy.version} ({policy.fingerprint})"
            )
        if self.catalogue_fingerprint != catalogue.fingerprint:
            raise ValueError(
                f"thresholds {self.version} were derived with catalogue "
                f"{self.catalogue_version}, not {catalogue.version}"
            )


def derive_thresholds(
    policy: DisposalPolicy,
    reference: pd.DataFrame,
    *,
    catalogue: MeasureCatalogue,
    reference_id: str,
) -> PolicyThresholds:
    """Set each rule's threshold so that the share of reference items whose priority is
    above it (and that meet its conditions) is the rule's target share; ties at the
    threshold go below, so a rule never exceeds its share. Rules of one measure kind fill
    it in turn (as ASYCUDA fills a lane up to its expected rate): a rule's share counts
    the items that earlier rules of its kind do not reach, so the kind reaches the sum of
    their targets. ``reference`` has the columns
    ``probability_<category>`` of each scored category, ``consignee_credit_level``,
    ``low_support``, ``hs_code`` (and ``level_<category>`` for rules with a min_level)."""
    scores = ScoreColumns.from_frame(reference)
    if len(scores) == 0:
        raise ValueError("the reference score table is empty")
    levels = policy.credit_levels(scores.credit_level)
    weights = policy.weights(levels)
    rules = []
    reached: dict[MeasureKind, np.ndarray] = {}  # reference items each kind reaches so far
    for rule in policy.rules:
        kind = catalogue.measure(rule.measure).kind
        before = reached.get(kind, np.zeros(len(scores), dtype=bool))
        derived, selected = _rule_threshold(rule, kind, scores, weights, before)
        reached[kind] = before | selected
        rules.append(derived)
    explore = policy.exploration
    # Expected explored share at the policy's share; scaled down to the cap if above it.
    expected = policy.exploration_probabilities(levels, scores.low_support, explore.share)
    probability = explore.share * min(1.0, explore.cap / max(float(expected.mean()), 1e-12))
    used = sorted(c for c in reference.columns if c.startswith(PROBABILITY_PREFIX))
    content = pd.util.hash_pandas_object(
        reference[[*used, "consignee_credit_level", "low_support", "hs_code"]], index=False
    )
    identity = {
        "policy_version": policy.version,
        "policy_fingerprint": policy.fingerprint,
        "catalogue_version": catalogue.version,
        "catalogue_fingerprint": catalogue.fingerprint,
        "reference_id": reference_id,
        "reference_fingerprint": hashlib.sha256(content.to_numpy().tobytes()).hexdigest()[:16],
    }
    return PolicyThresholds(
        version=hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16],
        reference_items=len(scores),
        rules=tuple(rules),
        reference_low_support_share=float(scores.low_support.mean()),
        exploration_probability=probability,
        **identity,
    )


def _rule_threshold(
    rule: PolicyRule,
    kind: MeasureKind,
    scores: ScoreColumns,
    weights: np.ndarray,
    reached: np.ndarray,
) -> tuple[RuleThreshold, np.ndarray]:
    """The rule's threshold, counting its share on the reference items that earlier rules
    of the same kind do not reach yet; also the reference items it selects."""
    scored = tuple(c for c in rule.categories if c in scores.probabilities)
    common = {
        "rule": rule.name,
        "measure": rule.measure,
        "kind": kind,
        "categories": scored,
        "unscored_categories": tuple(c for c in rule.categories if c not in scored),
        "target_share": rule.target_share,
    }
    nothing = np.zeros(len(scores), dtype=bool)
    if not scored:
        note = f"inactive: none of {list(rule.categories)} is scored"
        return RuleThreshold(active=False, threshold=None, note=note, **common), nothing
    if rule.stake and (scores.declared_duty is None or np.isnan(scores.declared_duty).all()):
        note = "inactive: the reference holds no declared duty (a model trained before stakes)"
        return RuleThreshold(active=False, threshold=None, note=note, **common), nothing
    priority = rule_priority(scored, scores, weights, rule.stake)
    eligible = rule_eligible(rule, scored, scores)
    if not eligible.any():
        note = "inactive: no reference item meets the rule's conditions"
        return RuleThreshold(active=False, threshold=None, note=note, **common), nothing
    threshold, note = _threshold(priority[eligible & ~reached], rule.target_share, len(scores))
    selected = eligible & (priority > threshold)
    derived = RuleThreshold(
        active=True,
        threshold=threshold,
        reference_share=float(selected.mean()),
        added_share=float((selected & ~reached).mean()),
        note=note,
        **common,
    )
    return derived, selected


def _threshold(priority: np.ndarray, target_share: float, n_items: int) -> tuple[float, str]:
    """The value with ``floor(target × n)`` eligible priorities strictly above it."""
    # The small tolerance keeps 0.29 × 100 at 29 items despite binary floating point.
    wanted = math.floor(target_share * n_items + 1e-9)
    ordered = np.sort(priority)[::-1]
    if wanted >= ordered.size:
        return 0.0, f"only {ordered.size} eligible reference items for {wanted} wanted"
    if wanted == 0:
        return float(ordered[0]), "target below one reference item"
    return float(ordered[wanted]), ""
