"""A declaration decided: its goods items assessed by the model and disposed of by the policy.

The one path from declarations to decisions, shared by the API, the batch flow and the
backtest: ``models.scoring.Scorer`` assesses each goods item (Art. 10), ``dispose`` adds
the measures (Art. 12-17), and the result is the decision the ledger records (Art. 4).
Risk is assessed per goods item, but clearance acts on the whole declaration: a decision
covers every item of one declaration, and its disposition is the strictest measure any
item requires (a single-item call is the one-item case). A declaration decided again after
accepted evidence (Art. 15) passes its ``rebuttals``: see ``disposal.rebuttals``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from config.settings import Settings
from disposal.catalogue import MeasureCatalogue
from disposal.disposition import (
    AppliedMeasure,
    ItemAssessment,
    ItemDisposition,
    Selection,
    dispose,
)
from disposal.instructions import Instruction
from disposal.policy import DisposalPolicy, PolicyThresholds, derive_thresholds
from disposal.rebuttals import Rebuttal, rebutted_categories, set_aside
from features.compute import declared_duty
from models.bundle import RiskModel
from models.decision import Decision
from models.scoring import Scorer


class ItemDecision(Decision):
    """One goods item: the model's assessment and the measures decided for it."""

    credit_level: str = Field(description="Credit level the policy applied (Order No. 282).")
    measures: list[AppliedMeasure] = Field(description="Measures to apply, by precedence.")
    overridden: list[AppliedMeasure] = Field(
        description="Measures an emergency instruction set aside (shown, not applied)."
    )
    selection: Selection = Field(description="Random selection and exploration draws.")
    strictest: AppliedMeasure = Field(description="The item's strictest measure.")


class DeclarationDecision(BaseModel):
    """The decision on one declaration (Art. 4): what to do with its goods, and why."""

    decision_id: str = Field(description="Id of the decision in the ledger.")
    declaration_id: str
    decided_at: datetime
    model_version: str
    capacity_thresholds_version: str = Field(
        description="Thresholds that meet the policy's capacity targets on this model's "
        "scores (the level cut-offs are the items' ``thresholds_version``)."
    )
    policy_version: str
    catalogue_version: str
    disposition: AppliedMeasure = Field(
        description="The strictest measure any goods item, instruction or random selection "
        "requires: the declaration's goods are released, checked or held together."
    )
    disposition_item_no: int = Field(description="The goods item that requires it.")
    blocks_release: bool = Field(description="Whether the declaration's goods must wait.")
    items: list[ItemDecision]
    rebuttals: list[Rebuttal] = Field(
        default_factory=list,
        description="Art. 15: accepted evidence whose categories the disposal read as no risk "
        "(probability 0, level 1) on the items it covers; the items' risks keep the model's "
        "assessment as made. Empty for a first decision.",
    )

    def rebutted(self) -> dict[int, frozenset[str]]:
        """Item number → the categories set aside on it (items without any are absent)."""
        return rebutted_categories(
            self.rebuttals, self.declaration_id, [item.item_no for item in self.items]
        )


@dataclass(frozen=True)
class DisposalRules:
    """What disposes of risk besides the model: catalogue, policy with its capacity
    thresholds for the served model, and the secret of the random draws."""

    catalogue: MeasureCatalogue
    policy: DisposalPolicy
    thresholds: PolicyThresholds
    selection_key: str

    @classmethod
    def for_model(cls, settings: Settings, model: RiskModel, model_version: str) -> DisposalRules:
        """The configured catalogue and policy, with thresholds derived on the model's own
        reference scores (capacity targets met on its score distribution)."""
        catalogue = MeasureCatalogue.load(Path(settings.measure_catalogue))
        policy = DisposalPolicy.load(Path(settings.disposal_policy), catalogue)
        thresholds = derive_thresholds(
            policy, reference_with_levels(model), catalogue=catalogue, reference_id=model_version
        )
        return cls(catalogue, policy, thresholds, settings.selection_key)


def reference_with_levels(model: RiskModel):
    """The model's reference scores with each scored category's level, as the policy's
    minimum-level conditions read them on a decision."""
    reference = model.reference_scores.copy()
    for category, category_model in model.categories.items():
        probability = reference[f"probability_{category}"].to_numpy(dtype=float)
        reference[f"level_{category}"] = category_model.level(probability)
    return reference


def item_assessment(
    decision: Decision, declaration: Mapping, rebutted: frozenset[str] = frozenset()
) -> ItemAssessment:
    """What the policy reads about one scored goods item: the model's assessment, with
    the ``rebutted`` categories set aside (read as no risk)."""
    assessment = ItemAssessment(
        item_no=decision.item_no,
        hs_code=declaration["hs_code"],
        origin_country=declaration["origin_country"],
        consignee_id=declaration["consignee_id"],
        declarant_id=declaration["declarant_id"],
        port_code=declaration["port_code"],
        trade_mode=declaration["trade_mode"],
        value_cny=declaration["value_cny"],
        probabilities={c: r.probability for c, r in decision.risks.items()},
        levels={c: r.level for c, r in decision.risks.items()},
        low_support=decision.low_support,
        credit_level=decision.consignee_credit_level,
        declared_duty_cny=_declared_duty(declaration),
    )
    return set_aside(assessment, rebutted)


def _declared_duty(declaration: Mapping) -> float | None:
    """The duty on the declared value, None where the rate is not given (a revenue rule's
    stake then ranks the item last rather than guessing a rate)."""
    rate = declaration.get("duty_rate")
    return None if rate is None else float(declared_duty(declaration["value_cny"], rate))


def decide(
    scorer: Scorer,
    declarations: Sequence[Mapping],
    rules: DisposalRules,
    instructions: Sequence[Instruction],
    at: datetime,
    explain: bool = True,
    rebuttals: Sequence[Rebuttal] = (),
) -> list[DeclarationDecision]:
    """Decisions for goods items given as contract dicts, one per declaration (items
    grouped by ``declaration_id``, in order of first appearance), scored in one call.
    ``rebuttals``: accepted evidence (Art. 15), each applied to the declaration it names."""
    groups: dict[str, list[int]] = {}
    for i, declaration in enumerate(declarations):
        groups.setdefault(declaration["declaration_id"], []).append(i)
    strays = sorted({r.declaration_id for r in rebuttals} - set(groups))
    if strays:
        raise ValueError(f"rebuttals name declarations {strays} that are not being decided")
    assessed = scorer.score(declarations, explain=explain)
    decided = []
    for declaration_id, rows in groups.items():
        own = [r for r in rebuttals if r.declaration_id == declaration_id]
        numbers = [int(assessed[i].item_no) for i in rows]
        rebutted = rebutted_categories(own, declaration_id, numbers)
        items = [
            item_assessment(assessed[i], declarations[i], rebutted.get(n, frozenset()))
            for i, n in zip(rows, numbers, strict=True)
        ]
        decided.append(
            _declaration_decision(
                scorer, [assessed[i] for i in rows], items, rules, instructions, at, own
            )
        )
    return decided


def _declaration_decision(
    scorer: Scorer,
    assessed: list[Decision],
    items: list[ItemAssessment],
    rules: DisposalRules,
    instructions: Sequence[Instruction],
    at: datetime,
    rebuttals: Sequence[Rebuttal],
) -> DeclarationDecision:
    declaration_id = assessed[0].declaration_id
    # The draws are keyed on the declaration number, which a retried or re-lodged
    # declaration keeps: resubmitting cannot re-roll a random selection.
    disposition = dispose(
        items,
        instructions=instructions,
        policy=rules.policy,
        thresholds=rules.thresholds,
        catalogue=rules.catalogue,
        selection_key=rules.selection_key,
        decision_key=declaration_id,
        at=at,
    )
    return DeclarationDecision(
        decision_id=str(uuid.uuid4()),
        declaration_id=declaration_id,
        decided_at=disposition.decided_at,
        model_version=scorer.model_version,
        capacity_thresholds_version=disposition.thresholds_version,
        policy_version=disposition.policy_version,
        catalogue_version=disposition.catalogue_version,
        disposition=disposition.strictest,
        disposition_item_no=disposition.strictest_item_no,
        blocks_release=disposition.blocks_release,
        items=[_item_decision(a, d) for a, d in zip(assessed, disposition.items, strict=True)],
        rebuttals=list(rebuttals),
    )


def _item_decision(assessed: Decision, disposed: ItemDisposition) -> ItemDecision:
    return ItemDecision.trusted(
        **assessed.__dict__,
        credit_level=disposed.credit_level,
        measures=list(disposed.measures),
        overridden=list(disposed.overridden),
        selection=disposed.selection,
        strictest=disposed.strictest,
    )
