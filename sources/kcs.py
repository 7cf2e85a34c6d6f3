"""Adapter for the public KCS *Customs Import Declaration Datasets* (arXiv 2208.02484).

Maps the Korea Customs Service's synthetic declarations onto this platform's contracts,
so the same feature and model code runs on them. Mapping (README, "KCS benchmark"):

| KCS column | contract field |
|---|---|
| Declaration ID | declaration_id (item_no 1: one item per row) |
| Date | declared_at (00:00 UTC of that day) |
| Office ID | customs_office and port_code (zero-padded to 4 digits) |
| Import Type | trade_mode (zero-padded to 4 digits) |
| Mode of Transport | transport_mode (10 sea, 20 rail, 30 road, 40 air, 50 post, else other) |
| Importer ID / Declarant ID / Seller ID | consignee_id / declarant_id / overseas_trader_id |
| Courier ID | courier_id |
| HS6 Code | hs_code (6 digits, zero-padded) |
| Country of Origin / Departure | origin_country / departure_country |
| Tax Rate (%) | duty_rate (÷ 100) |
| Tax Type | tax_type |
| Country of Origin Indicator | origin_indicator |
| Payment Type / Import Use | payment_type / import_use |
| Net Mass | net_weight_kg, gross_weight_kg (no gross mass: equal to net), quantity in kg |
| Item Price (KRW) | declared_value in KRW; value_cny at a fixed documented rate |

Absent: incoterm, licences, credit history, monitoring data. Labels: every KCS row was
inspected (selection reason "rule": chosen by KCS's own targeting, not at random);
``Fraud == 1`` → ``finding_revenue``, ``Critical Fraud == 2`` →
``finding_prohibited_restricted`` (critical fraud threatens public safety — the closest
Art. 2 category); an outcome becomes known ``label_delay_days`` after its declaration.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sources.contracts import CONTRACTS, RISK_CATEGORIES, conform

KRW_TO_CNY = 0.0053  # fixed demo rate; features use log values, so any constant serves
TRANSPORT = {"10": "sea", "20": "rail", "30": "road", "40": "air", "50": "post"}
TARGETS = {"fraud": "revenue", "critical_fraud": "prohibited_restricted"}
DEFAULT_LABEL_DELAY_DAYS = 7


def read_kcs(path: Path) -> pd.DataFrame:
    """The raw CSV, every column as text (codes keep their leading zeros)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _pad(values: pd.Series, width: int) -> pd.Series:
    return values.astype(str).str.strip().str.zfill(width)


def to_declarations(raw: pd.DataFrame) -> pd.DataFrame:
    """KCS rows as a declarations table conforming to the contract."""
    price_krw = raw["Item Price"].astype(float)
    mass = raw["Net Mass"].astype(float)
    office = _pad(raw["Office ID"], 4)
    frame = pd.DataFrame(
        {
            "declaration_id": raw["Declaration ID"].str.strip(),
            "item_no": raw.groupby("Declaration ID").cumcount() + 1,
            "declared_at": pd.to_datetime(raw["Date"]),
            "customs_office": office,
            "port_code": office,
            "trade_mode": _pad(raw["Import Type"], 4),
            "transport_mode": raw["Mode of Transport"].map(TRANSPORT).fillna("other"),
            "consignee_id": raw["Importer ID"],
            "declarant_id": raw["Declarant ID"],
            "overseas_trader_id": raw["Seller ID"],
            "hs_code": _pad(raw["HS6 Code"], 6),
            "origin_country": raw["Country of Origin"],
            "departure_country": raw["Country of Departure"],
            "currency": "KRW",
            "declared_value": price_krw,
            "value_cny": price_krw * KRW_TO_CNY,
            "quantity": mass,
            "quantity_unit": "kg",
            "net_weight_kg": mass,
            "gross_weight_kg": mass,
            "duty_rate": raw["Tax Rate"].astype(float) / 100.0,
            "licence_codes": "",
            "tax_type": raw["Tax Type"],
            "origin_indicator": raw["Country of Origin Indicator"],
            "payment_type": raw["Payment Type"],
            "import_use": raw["Import Use"],
            "courier_id": raw["Courier ID"],
            "provenance_channel": "international_sharing",
        }
    )
    return conform(frame, CONTRACTS["declarations"])


def labels(raw: pd.DataFrame) -> pd.DataFrame:
    """The benchmark targets per row: fraud and critical_fraud (0/1)."""
    return pd.DataFrame(
        {
            "fraud": (raw["Fraud"].astype(int) == 1).astype(int),
            "critical_fraud": (raw["Critical Fraud"].astype(int) == 2).astype(int),
        }
    )


def to_inspection_outcomes(
    declarations: pd.DataFrame, targets: pd.DataFrame, label_delay_days: float
) -> pd.DataFrame:
    """Outcomes of labelled rows, known ``label_delay_days`` after the declaration."""
    known = declarations["declared_at"] + pd.Timedelta(days=label_delay_days)
    findings = {f"finding_{c}": np.zeros(len(declarations), dtype=bool) for c in RISK_CATEGORIES}
    for target, category in TARGETS.items():
        findings[f"finding_{category}"] = targets[target].to_numpy() == 1
    frame = pd.DataFrame(
        {
            "declaration_id": declarations["declaration_id"],
            "item_no": declarations["item_no"],
            "selection_reason": "rule",
            "inspected_at": declarations["declared_at"],
            "outcome_known_at": known,
            **findings,
            "duty_recovered_cny": 0.0,  # not in the data set
        }
    )
    return conform(frame, CONTRACTS["inspection_outcomes"])


def empty(source: str) -> pd.DataFrame:
    """An empty table of a source the KCS set lacks (credit history, monitoring)."""
    contract = CONTRACTS[source]
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in contract.column_names})
    return conform(frame, contract)
