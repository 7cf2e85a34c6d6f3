"""Domain labels in the reviewer's language, as one function the templates call.

Features, categories, credit levels, measures, levels … carry both languages in the
domain's own catalogues; the declaration's and the forms' field names are the page's
own words and come from the message catalogue.
"""

from __future__ import annotations

from disposal.labels import UnknownLabel, label, low_support_reason_in, severity_measure_in
from features.definitions import FEATURES_BY_NAME
from serving.workbench.i18n import N_, Speaker

# The templates' short kind names → the label catalogue's kinds.
_KINDS = {"level": "risk_level", "source": "measure_source"}
FIELD_LABELS = {
    "declared_at": N_("Declared at"),
    "customs_office": N_("Customs office"),
    "port_code": N_("Port"),
    "trade_mode": N_("Trade mode"),
    "transport_mode": N_("Transport mode"),
    "consignee_id": N_("Consignee"),
    "declarant_id": N_("Declarant (broker)"),
    "overseas_trader_id": N_("Overseas trader"),
    "hs_code": N_("HS code"),
    "origin_country": N_("Origin country"),
    "departure_country": N_("Departure country"),
    "incoterm": N_("Incoterm"),
    "value_cny": N_("Value (CNY)"),
    "quantity": N_("Quantity"),
    "quantity_unit": N_("Unit"),
    "net_weight_kg": N_("Net weight (kg)"),
    "gross_weight_kg": N_("Gross weight (kg)"),
    "duty_rate": N_("Duty rate"),
    "licence_codes": N_("Licences"),
    "item_no": N_("Goods item"),
    "inspected_at": N_("Inspected at"),
    "outcome_known_at": N_("Result known at"),
    "findings": N_("Findings"),
    "duty_recovered_cny": N_("Duty recovered (CNY)"),
    "seized": N_("Goods seized"),
    "form": N_("Form"),
}


# The workbench's own words for codes the records hold.
WORD_LABELS = {
    "role": {
        "officer": N_("Officer"),
        "analyst": N_("Analyst"),
        "publisher": N_("Publisher"),
        "admin": N_("Administrator"),
        "clearance_system": N_("Clearance system"),
    },
    "conclusion": {
        "risk_confirmed": N_("Risk confirmed"),
        "risk_overstated": N_("Risk overstated"),
        "risk_understated": N_("Risk understated"),
        "inconclusive": N_("Inconclusive"),
    },
    "audience": {
        "customs_internal": N_("Customs (internal)"),
        "enterprises": N_("Enterprises"),
        "public": N_("The public"),
        "other_authorities": N_("Other authorities"),
    },
    "evidence_status": {
        "pending": N_("Pending review"),
        "accepted": N_("Accepted"),
        "rejected": N_("Rejected"),
    },
}


def domain_label(kind: str, code: object, speaker: Speaker) -> str:
    """The label of ``code`` (a feature, category, credit level …) in the speaker's
    language; the code itself when the catalogue has none."""
    language = speaker.language
    if kind == "field":
        text = FIELD_LABELS.get(str(code).split(".")[0])
        return speaker.gettext(text) if text else str(code)
    if kind in WORD_LABELS:
        text = WORD_LABELS[kind].get(str(code))
        return speaker.gettext(text) if text else str(code)
    if kind == "feature":
        feature = FEATURES_BY_NAME.get(str(code))
        return feature.label_in(language) if feature else str(code)
    if kind == "severity":
        return severity_measure_in(str(code), language)
    if kind == "low_support":
        return low_support_reason_in(str(code), language)
    try:
        return label(_KINDS.get(kind, kind), code, language)  # type: ignore[arg-type]
    except UnknownLabel:
        return str(code)  # a code newer than the catalogue: shown as it is
