"""Reference tables of the synthetic world: goods, origin countries, customs offices.

The goods table lists realistic 10-digit Chinese HS codes grouped into sectors. Each
sector says which Art. 2 categories it is exposed to; each code carries its duty rate,
unit, a reference unit value (CNY per kg) and the licence / permit codes (监管证件)
its import requires. Values are plausible, not official tariff data.
"""

from __future__ import annotations

import pandas as pd

# sector → (categories it is exposed to, typical net kg per item (median), declared unit)
SECTORS: dict[str, tuple[tuple[str, ...], float, str]] = {
    "animal": (("biosecurity", "food_safety"), 8_000.0, "kg"),
    "plant": (("biosecurity",), 12_000.0, "kg"),
    "food": (("food_safety", "revenue"), 3_000.0, "kg"),
    "beverage": (("revenue", "food_safety"), 6_000.0, "l"),
    "chemical": (("prohibited_restricted",), 5_000.0, "kg"),
    "pharma": (("public_health", "prohibited_restricted"), 300.0, "kg"),
    "medical": (("public_health", "product_quality"), 400.0, "pcs"),
    "cosmetics": (("ipr", "revenue", "product_quality"), 500.0, "pcs"),
    "fashion": (("ipr", "revenue"), 800.0, "pcs"),
    "watches": (("ipr", "revenue"), 30.0, "pcs"),
    "toys": (("product_quality", "ipr"), 1_500.0, "pcs"),
    "electrical": (("product_quality",), 2_000.0, "pcs"),
    "electronics": (("revenue", "ipr"), 600.0, "pcs"),
    "vehicles": (("revenue",), 3_000.0, "set"),
    "wood": (("biosecurity",), 20_000.0, "m3"),
    "machinery": (("revenue",), 4_000.0, "set"),
}

# (hs code, sector, duty rate, reference CNY per kg, required licence codes)
_GOODS: tuple[tuple[str, str, float, float, str], ...] = (
    ("0201300090", "animal", 0.12, 55.0, "A,7"),
    ("0202300090", "animal", 0.12, 38.0, "A,7"),
    ("0203220090", "animal", 0.12, 22.0, "A"),
    ("0207140090", "animal", 0.10, 14.0, "A"),
    ("0303890090", "animal", 0.07, 18.0, "A"),
    ("0306171900", "animal", 0.05, 70.0, "A"),
    ("0402210000", "animal", 0.10, 30.0, "A"),
    ("0406900000", "animal", 0.12, 45.0, "A"),
    ("0408110000", "animal", 0.20, 25.0, "A"),
    ("0602909100", "plant", 0.00, 40.0, "A"),
    ("0702000000", "plant", 0.13, 8.0, "A"),
    ("0805100000", "plant", 0.11, 9.0, "A"),
    ("0810100000", "plant", 0.14, 35.0, "A"),
    ("0901210000", "plant", 0.15, 60.0, "A"),
    ("1001990000", "plant", 0.01, 2.5, "A,t"),
    ("1201901000", "plant", 0.03, 3.6, "A"),
    ("1209919000", "plant", 0.00, 120.0, "A"),
    ("1211903999", "plant", 0.06, 80.0, "A"),
    ("1507100000", "food", 0.09, 7.5, "A"),
    ("1701999000", "food", 0.50, 4.0, "A,t"),
    ("1806900000", "food", 0.08, 40.0, "A"),
    ("1901101000", "food", 0.15, 120.0, "A"),
    ("1901109000", "food", 0.15, 95.0, "A"),
    ("1905900000", "food", 0.08, 25.0, "A"),
    ("2008999000", "food", 0.08, 18.0, "A"),
    ("2106909090", "food", 0.12, 70.0, "A"),
    ("2202991000", "beverage", 0.07, 6.0, "A"),
    ("2203000000", "beverage", 0.00, 8.0, "A"),
    ("2204210000", "beverage", 0.14, 45.0, "A"),
    ("2208300000", "beverage", 0.05, 90.0, "A"),
    ("2402200000", "beverage", 0.25, 400.0, "7"),
    ("2811199090", "chemical", 0.055, 10.0, "3"),
    ("2841610000", "chemical", 0.055, 12.0, "3,1"),
    ("2902300000", "chemical", 0.02, 7.0, "3"),
    ("2914110000", "chemical", 0.055, 9.0, "3"),
    ("2916399090", "chemical", 0.065, 30.0, "3"),
    ("2932920000", "chemical", 0.065, 90.0, "3,1"),
    ("2939410000", "chemical", 0.04, 600.0, "3,1"),
    ("3808911900", "chemical", 0.06, 35.0, "S"),
    ("3824999999", "chemical", 0.065, 20.0, ""),
    ("3004909099", "pharma", 0.03, 900.0, "Q"),
    ("3002150000", "pharma", 0.03, 5_000.0, "Q"),
    ("3003900000", "pharma", 0.03, 500.0, "Q"),
    ("3006700000", "pharma", 0.05, 300.0, ""),
    ("9018390000", "medical", 0.04, 250.0, ""),
    ("9018909900", "medical", 0.04, 600.0, ""),
    ("9019200000", "medical", 0.04, 800.0, ""),
    ("9021390000", "medical", 0.04, 1_200.0, ""),
    ("4015120000", "medical", 0.08, 60.0, ""),
    ("3304990099", "cosmetics", 0.01, 450.0, ""),
    ("3304100000", "cosmetics", 0.01, 700.0, ""),
    ("3303000020", "cosmetics", 0.03, 900.0, ""),
    ("3305100000", "cosmetics", 0.06, 80.0, ""),
    ("4202210090", "fashion", 0.06, 3_500.0, ""),
    ("4202220000", "fashion", 0.06, 1_200.0, ""),
    ("4203100090", "fashion", 0.10, 1_500.0, ""),
    ("6104430000", "fashion", 0.06, 600.0, ""),
    ("6110200090", "fashion", 0.06, 400.0, ""),
    ("6203420090", "fashion", 0.06, 450.0, ""),
    ("6204430000", "fashion", 0.06, 800.0, ""),
    ("6403990000", "fashion", 0.10, 900.0, ""),
    ("6404110000", "fashion", 0.10, 500.0, ""),
    ("9101210000", "watches", 0.08, 60_000.0, ""),
    ("9102110000", "watches", 0.08, 8_000.0, ""),
    ("9102190000", "watches", 0.08, 4_000.0, ""),
    ("9113900000", "watches", 0.08, 1_500.0, ""),
    ("9503001000", "toys", 0.00, 60.0, ""),
    ("9503002100", "toys", 0.00, 90.0, ""),
    ("9503008900", "toys", 0.00, 45.0, ""),
    ("9504509900", "toys", 0.00, 300.0, ""),
    ("8509400000", "electrical", 0.08, 180.0, ""),
    ("8516310000", "electrical", 0.08, 200.0, ""),
    ("8516600000", "electrical", 0.08, 120.0, ""),
    ("8507600090", "electrical", 0.10, 350.0, ""),
    ("8544422900", "electrical", 0.08, 90.0, ""),
    ("8539500000", "electrical", 0.08, 150.0, ""),
    ("8471300000", "electronics", 0.00, 2_200.0, ""),
    ("8471500000", "electronics", 0.00, 1_800.0, ""),
    ("8517130000", "electronics", 0.00, 9_000.0, ""),
    ("8528521100", "electronics", 0.05, 900.0, ""),
    ("8525891900", "electronics", 0.05, 3_000.0, ""),
    ("8519811900", "electronics", 0.10, 1_500.0, ""),
    ("8703236110", "vehicles", 0.15, 130.0, "7"),
    ("8703236210", "vehicles", 0.15, 180.0, "7"),
    ("8703800090", "vehicles", 0.15, 160.0, "7"),
    ("8711600090", "vehicles", 0.45, 120.0, "7"),
    ("4403990090", "wood", 0.00, 1.6, "A"),
    ("4407990099", "wood", 0.00, 3.0, "A"),
    ("4418999090", "wood", 0.04, 12.0, ""),
    ("8479899990", "machinery", 0.05, 300.0, ""),
    ("8413709990", "machinery", 0.08, 150.0, ""),
    ("8481804090", "machinery", 0.05, 260.0, ""),
    ("8708299000", "machinery", 0.06, 90.0, "7"),
)

# Origins: (weight in trade, currency, sectors it is a notable supplier of)
ORIGINS: dict[str, tuple[float, str, tuple[str, ...]]] = {
    "US": (
        10.0,
        "USD",
        (
            "animal",
            "plant",
            "food",
            "pharma",
            "medical",
            "electronics",
            "machinery",
            "vehicles",
            "chemical",
        ),
    ),
    "JP": (
        8.0,
        "JPY",
        ("cosmetics", "electronics", "machinery", "vehicles", "food", "toys", "medical"),
    ),
    "KR": (8.0, "KRW", ("cosmetics", "electronics", "food", "chemical", "electrical")),
    "DE": (
        7.0,
        "EUR",
        ("vehicles", "machinery", "pharma", "medical", "chemical", "food", "beverage"),
    ),
    "AU": (5.0, "AUD", ("animal", "plant", "food", "beverage", "wood")),
    "BR": (5.0, "USD", ("animal", "plant", "food", "wood")),
    "FR": (4.0, "EUR", ("beverage", "cosmetics", "fashion", "food", "animal", "pharma")),
    "IT": (4.0, "EUR", ("fashion", "food", "beverage", "machinery", "animal")),
    "VN": (4.0, "USD", ("electronics", "fashion", "plant", "animal", "electrical", "wood")),
    "TH": (4.0, "USD", ("plant", "food", "animal", "electrical", "wood")),
    "MY": (3.0, "USD", ("electronics", "electrical", "plant", "chemical", "wood")),
    "ID": (3.0, "USD", ("plant", "food", "wood", "chemical")),
    "NZ": (3.0, "USD", ("animal", "food", "plant", "wood")),
    "CH": (3.0, "CHF", ("watches", "pharma", "medical", "food")),
    "GB": (3.0, "GBP", ("beverage", "pharma", "fashion", "machinery", "cosmetics")),
    "CA": (3.0, "USD", ("plant", "animal", "wood", "food")),
    "AR": (2.0, "USD", ("animal", "plant", "food")),
    "CL": (2.0, "USD", ("plant", "food", "beverage", "animal")),
    "ES": (2.0, "EUR", ("animal", "food", "beverage", "fashion")),
    "NL": (2.0, "EUR", ("food", "plant", "machinery", "medical", "animal")),
    "IN": (2.0, "USD", ("chemical", "pharma", "fashion", "plant")),
    "RU": (2.0, "USD", ("wood", "plant", "chemical", "food", "animal")),
    "MX": (1.0, "USD", ("plant", "food", "beverage", "electronics")),
    "PL": (1.0, "EUR", ("animal", "food", "machinery", "electrical")),
    "TR": (1.0, "USD", ("fashion", "food", "plant", "electrical")),
    "PH": (1.0, "USD", ("plant", "food", "electronics")),
    "SG": (1.0, "SGD", ("electronics", "pharma", "chemical", "cosmetics")),
    "BE": (1.0, "EUR", ("food", "chemical", "pharma", "animal")),
    "PE": (1.0, "USD", ("plant", "animal", "food")),
    "ZA": (1.0, "USD", ("plant", "beverage", "animal", "wood")),
}

# CNY per unit of currency (fixed demo rates).
FX_TO_CNY: dict[str, float] = {
    "USD": 7.15, "EUR": 7.80, "JPY": 0.048, "KRW": 0.0052, "AUD": 4.70, "CHF": 8.10,
    "GBP": 9.10, "SGD": 5.30,
}  # fmt: skip

TRANSSHIPMENT_HUBS: tuple[str, ...] = ("SG", "HK", "AE", "NL")

# Customs offices (关区) and the ports under them.
OFFICES: dict[str, tuple[str, ...]] = {
    "2200": ("2201", "2225", "2248"),  # Shanghai
    "5300": ("5301", "5316", "5349"),  # Shenzhen
    "5100": ("5101", "5141"),  # Guangzhou
    "0200": ("0201", "0202"),  # Tianjin
    "4200": ("4218", "4227"),  # Qingdao
    "3100": ("3101", "3104"),  # Ningbo
    "3700": ("3701", "3712"),  # Xiamen
    "0100": ("0101", "0102"),  # Beijing
}


def goods_table() -> pd.DataFrame:
    """The goods table: hs_code, sector, duty_rate, reference_cny_per_kg, required_licences."""
    frame = pd.DataFrame(
        _GOODS,
        columns=["hs_code", "sector", "duty_rate", "reference_cny_per_kg", "required_licences"],
    )
    frame["unit"] = frame["sector"].map({s: v[2] for s, v in SECTORS.items()})
    return frame
