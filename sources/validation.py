"""Great Expectations validation of the four sources, derived from ``sources.contracts``.

Every expectation comes from a contract: the column set, dtypes, nullability, allowed
values, patterns, bounds and key of each ``SourceContract``, plus one explicit rule per
cross-column note (``_CROSS_COLUMN_RULES``). Rules between sources (an outcome and its
declaration, ``CROSS_SOURCE_RULES``) are checked on the outcomes joined to their declarations
and reported with the outcomes. Results are turned into plain ``ValidationReport``s so the
rest of the platform never handles GE objects.

Great Expectations is imported on first use, not with this module: the import takes
several seconds and most importers only need the report types.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sources.contracts import CONTRACTS, Column, SourceContract, time_range_text

if TYPE_CHECKING:
    import great_expectations as gx

MAX_EXAMPLES = 5

# Integer dtypes accepted for "int" columns; "float" columns accept any numeric dtype.
_INT_TYPES = ["int8", "int16", "int32", "int64"]
_TYPE_LISTS = {
    "int": _INT_TYPES,
    "float": ["float32", "float64", *_INT_TYPES],
    "bool": ["bool", "boolean"],
}
_TYPE_EXPECTATIONS = (
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_be_in_type_list",
)


@dataclass(frozen=True)
class ExpectationFailure:
    """One failed expectation, in plain words."""

    expectation: str
    column: str | None
    reason: str
    unexpected_count: int
    examples: list


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one source table against its contract."""

    source: str
    rows: int
    evaluated: int
    failures: tuple[ExpectationFailure, ...]

    @property
    def success(self) -> bool:
        return not self.failures

    def render(self) -> str:
        """Readable multi-line summary: one header line, then one line per failure."""
        if self.success:
            return f"{self.source}: PASS ({self.rows:,} rows, {self.evaluated} expectations)"
        lines = [
            f"{self.source}: FAIL ({self.rows:,} rows, {self.evaluated} expectations, "
            f"{len(self.failures)} failures)"
        ]
        for f in self.failures:
            line = f"  - {f.column or '<table>'}: {f.expectation}: {f.reason}"
            if f.examples:
                line += f"; e.g. {', '.join(f.examples)}"
            lines.append(line)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-serialisable form (for MLflow)."""
        return {
            "source": self.source,
            "rows": self.rows,
            "evaluated": self.evaluated,
            "success": self.success,
            "failures": [asdict(f) for f in self.failures],
        }


class DataValidationError(Exception):
    """Raised when one or more batches fail; carries the reports; str() is the rendered failures
    of every failing source."""

    reports: dict[str, ValidationReport]

    def __init__(self, reports: dict[str, ValidationReport]):
        self.reports = dict(reports)
        failing = [r.render() for r in self.reports.values() if not r.success]
        super().__init__("\n".join(failing))

    def __reduce__(self):
        # Exceptions pickle as cls(*args); rebuild from the reports instead (Prefect pickles).
        return (type(self), (self.reports,))


# --- Great Expectations plumbing ----------------------------------------------------------


def _gx():
    """Import Great Expectations with analytics off.

    GE builds with an analytics client read ``GX_ANALYTICS_ENABLED`` at import; the context
    config below says the same.
    """
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx

    return gx


@functools.cache
def _context():
    """One in-memory context for the process: no files, no analytics, no progress bars."""
    gx = _gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        # tqdm bars are on by default and write to stderr on every validation.
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


@functools.cache
def _datasource():
    return _context().data_sources.add_pandas("sources")


@functools.cache
def _batch_definition(source: str):
    """Whole-dataframe batch definition of one source, created once per process."""
    asset = _datasource().add_dataframe_asset(source)
    return asset.add_batch_definition_whole_dataframe(source)


# --- Suite derived from the contract --------------------------------------------------------


def _scope_rule(E) -> list:
    # "At least one set" is "origin_country not null on the rows where the other two are null".
    from great_expectations.expectations.row_conditions import Column as Col

    return [
        E.ExpectColumnValuesToNotBeNull(
            column="origin_country",
            row_condition=Col("enterprise_id").is_null() & Col("hs_prefix").is_null(),
        )
    ]


def _a_after_b(a: str, b: str, or_equal: bool) -> Callable[[Any], list]:
    # Rows with a null side are skipped: nulls are the not-null expectations' business.
    return lambda E: [
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=a, column_B=b, or_equal=or_equal, ignore_row_if="either_value_is_missing"
        )
    ]


# Each contract note, word for word, and the expectations that enforce it. Keyed by the note
# text so that rewording a note without updating its rule fails loudly in build_suite.
_CROSS_COLUMN_RULES: dict[str, dict[str, tuple[tuple[str, ...], Callable[[Any], list]]]] = {
    "declarations": {
        "gross_weight_kg >= net_weight_kg": (
            ("gross_weight_kg", "net_weight_kg"),
            _a_after_b("gross_weight_kg", "net_weight_kg", or_equal=True),
        ),
    },
    "credit_history": {
        "valid_to is null or after valid_from": (
            ("valid_to", "valid_from"),
            _a_after_b("valid_to", "valid_from", or_equal=False),
        ),
    },
    "inspection_outcomes": {
        "outcome_known_at >= inspected_at": (
            ("outcome_known_at", "inspected_at"),
            _a_after_b("outcome_known_at", "inspected_at", or_equal=True),
        ),
    },
    "monitoring": {
        "at least one of enterprise_id, hs_prefix, origin_country is set": (
            ("enterprise_id", "hs_prefix", "origin_country"),
            _scope_rule,
        ),
    },
}


def _type_expectation(E, col: Column):
    """The dtype check of one column, with type names that GE resolves for pandas 3 dtypes."""
    if col.dtype == "string":
        # of_type compares dtype.type, which is `str` for both pandas 3 string dtypes ("str" and
        # "string"); in_type_list does not recognise the default "str" dtype.
        return E.ExpectColumnValuesToBeOfType(column=col.name, type_="str")
    if col.dtype == "datetime":
        # Any unit; a tz-aware column fails, as the contract stores UTC tz-naive.
        return E.ExpectColumnValuesToBeOfType(column=col.name, type_="datetime64")
    if col.dtype in _TYPE_LISTS:
        return E.ExpectColumnValuesToBeInTypeList(column=col.name, type_list=_TYPE_LISTS[col.dtype])
    raise ValueError(f"no dtype check for contract dtype {col.dtype!r} (column {col.name})")


def _column_expectations(E, col: Column) -> list:
    """Dtype, nullability, allowed values, pattern, bounds and time range of one column."""
    meta = {"columns": [col.name], "dtype": col.dtype}
    out = [_type_expectation(E, col)]
    if not col.nullable:
        out.append(E.ExpectColumnValuesToNotBeNull(column=col.name))
    if col.allowed is not None:
        out.append(E.ExpectColumnValuesToBeInSet(column=col.name, value_set=list(col.allowed)))
    if col.pattern is not None:
        # GE skips nulls in map expectations, so nullable columns may hold nulls.
        out.append(E.ExpectColumnValuesToMatchRegex(column=col.name, regex=col.pattern))
    if col.min_value is not None or col.max_value is not None:
        out.append(
            E.ExpectColumnValuesToBeBetween(
                column=col.name, min_value=col.min_value, max_value=col.max_value
            )
        )
    if col.time_range is not None:
        # Frames hold UTC tz-naive: aware bounds could not be compared with them.
        start, end = (t.astimezone(dt.UTC).replace(tzinfo=None) for t in col.time_range)
        out.append(
            E.ExpectColumnValuesToBeBetween(
                column=col.name, min_value=start, max_value=end, strict_max=True
            )
        )
    for e in out:
        e.meta = dict(meta)
    return out


def _expectations(contract: SourceContract) -> list:
    """Every expectation of ``contract``, each tagged with the columns it reads (``meta``)."""
    E = _gx().expectations
    out = [
        E.ExpectTableColumnsToMatchSet(column_set=contract.column_names, exact_match=True),
    ]
    out[0].meta = {"columns": []}
    for col in contract.columns:
        out.extend(_column_expectations(E, col))

    key = list(contract.key)
    if len(key) == 1:
        unique = E.ExpectColumnValuesToBeUnique(column=key[0])
    else:
        unique = E.ExpectCompoundColumnsToBeUnique(column_list=key)
    unique.meta = {"columns": key}
    out.append(unique)

    rules = _CROSS_COLUMN_RULES.get(contract.name, {})
    for note in contract.notes:
        if note not in rules:
            raise ValueError(
                f"{contract.name}: contract note {note!r} has no expectation; "
                "add it to sources.validation._CROSS_COLUMN_RULES"
            )
        columns, make = rules[note]
        for e in make(E):
            e.meta = {"columns": list(columns), "rule": note}
            out.append(e)
    return out


def build_suite(contract: SourceContract) -> gx.ExpectationSuite:
    """The expectation suite of ``contract`` (not registered with any context)."""
    gx = _gx()
    return gx.ExpectationSuite(
        name=f"{contract.name}_contract", expectations=_expectations(contract)
    )


# --- Validation --------------------------------------------------------------------------------


def validate_frame(frame: pd.DataFrame, contract: SourceContract) -> ValidationReport:
    """Validate ``frame`` against ``contract``; never raises on bad data."""
    present = set(frame.columns)
    # Expectations on a missing column cannot run; the column-set check reports the column.
    runnable = [e for e in _expectations(contract) if all(c in present for c in e.meta["columns"])]
    key = [c for c in contract.key if c in present]
    failures, evaluated = _run(contract.name, f"{contract.name}_contract", frame, runnable, key)
    failures = _drop_errors_on_mistyped_columns(failures)
    order = {name: i for i, name in enumerate(contract.column_names)}
    failures.sort(key=lambda f: (order.get((f.column or "").split(",")[0], -1), f.expectation))
    return ValidationReport(
        source=contract.name,
        rows=len(frame),
        evaluated=evaluated,
        failures=tuple(failures),
    )


def _run(
    asset: str, suite_name: str, frame: pd.DataFrame, expectations: list, key: list[str]
) -> tuple[list[ExpectationFailure], int]:
    """Run ``expectations`` on ``frame``: the failures, and how many expectations ran."""
    gx = _gx()
    suite = gx.ExpectationSuite(name=suite_name, expectations=expectations)
    result_format = {
        "result_format": "SUMMARY",
        # More than we show, so that the examples can be distinct values.
        "partial_unexpected_count": 20,
        # Rows are identified by their key in the examples of null failures.
        "unexpected_index_column_names": key,
    }
    data = _python_strings(frame)
    batch = _batch_definition(asset).get_batch(batch_parameters={"dataframe": data})
    result = batch.validate(suite, result_format=result_format)
    failures = [f for r in result.results if not r.success for f in _failures(r, frame, key)]
    return failures, len(result.results)


def _python_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with pyarrow-backed string columns (pandas 3's default) in python storage.

    GE filters the whole frame once per expectation, and taking rows of pyarrow strings is
    about 20x slower than of python ones: 200k declarations take ~110 s instead of ~5 s.
    Values, nulls and the dtype's ``.type`` (str) are unchanged.
    """
    convert = {
        name: pd.StringDtype("python", na_value=dtype.na_value)
        for name, dtype in frame.dtypes.items()
        if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"
    }
    return frame.astype(convert) if convert else frame


def validate_sources(frames: dict[str, pd.DataFrame]) -> dict[str, ValidationReport]:
    """Validate each frame against the contract of the same name (keys of ``CONTRACTS``),
    then the rules between sources (``validate_cross_source``)."""
    unknown = sorted(set(frames) - set(CONTRACTS))
    if unknown:
        raise KeyError(f"no contract for {unknown}; known sources: {sorted(CONTRACTS)}")
    reports = {name: validate_frame(frame, CONTRACTS[name]) for name, frame in frames.items()}
    return validate_cross_source(frames, reports)


# --- Rules between sources ------------------------------------------------------------------

_OUTCOME_KEY = ["declaration_id", "item_no"]
_DECLARATION_EXISTS = "every outcome refers to an existing declaration (declaration_id, item_no)"
_INSPECTED_AFTER_DECLARED = "inspected_at >= declared_at"
CROSS_SOURCE_RULES: tuple[str, ...] = (_DECLARATION_EXISTS, _INSPECTED_AFTER_DECLARED)

# What each side of the join reads: a rule cannot say anything useful about columns that
# failed their own contract (missing, mistyped, duplicate keys), so it is then not run.
_CROSS_SOURCE_COLUMNS = {
    "inspection_outcomes": {"declaration_id", "item_no", "inspected_at"},
    "declarations": {"declaration_id", "item_no", "declared_at"},
}


def _cross_source_expectations() -> list:
    """The rules between sources, as expectations on outcomes left-joined to declarations."""
    E = _gx().expectations
    # declared_at is never null in a valid declarations table, so a null one after the
    # join means that no declaration has the outcome's key.
    exists = E.ExpectColumnValuesToNotBeNull(column="declared_at")
    exists.meta = {"columns": list(_OUTCOME_KEY), "rule": _DECLARATION_EXISTS}
    out = [exists]
    for e in _a_after_b("inspected_at", "declared_at", or_equal=True)(E):
        e.meta = {"columns": ["inspected_at", "declared_at"], "rule": _INSPECTED_AFTER_DECLARED}
        out.append(e)
    return out


def validate_cross_source(
    frames: dict[str, pd.DataFrame], reports: dict[str, ValidationReport]
) -> dict[str, ValidationReport]:
    """``reports`` with the failures of ``CROSS_SOURCE_RULES`` added to the outcomes' report.

    An outcome whose declaration is missing would be dropped from the features, and one
    inspected before its declaration would count its own label in its own history. The
    rules run only when both sources are given and the columns they read passed.
    """
    if any(name not in frames for name in _CROSS_SOURCE_COLUMNS):
        return reports
    for name, columns in _CROSS_SOURCE_COLUMNS.items():
        if columns & {c for f in reports[name].failures for c in (f.column or "").split(",")}:
            return reports
    outcomes = frames["inspection_outcomes"]
    declared = frames["declarations"][[*_OUTCOME_KEY, "declared_at"]]
    joined = outcomes[[*_OUTCOME_KEY, "inspected_at"]].merge(declared, on=_OUTCOME_KEY, how="left")
    failures, evaluated = _run(
        "inspection_outcomes_with_declarations",
        "cross_source",
        joined,
        _cross_source_expectations(),
        list(_OUTCOME_KEY),
    )
    own = reports["inspection_outcomes"]
    combined = ValidationReport(
        source=own.source,
        rows=own.rows,
        evaluated=own.evaluated + evaluated,
        failures=own.failures + tuple(failures),
    )
    return {**reports, "inspection_outcomes": combined}


def require_valid(reports: dict[str, ValidationReport]) -> None:
    """Raise ``DataValidationError`` if any report failed."""
    if any(not r.success for r in reports.values()):
        raise DataValidationError(reports)


# --- GE results to plain failures ---------------------------------------------------------------


def _error_message(result) -> str | None:
    """The exception a result raised, if any.

    GE 1.x nests ``exception_info`` by metric id when a metric failed, and keeps the flat
    ``{"raised_exception": ...}`` form for errors raised by the expectation itself.
    """
    info = result.exception_info or {}
    candidates = [info] + [v for v in info.values() if isinstance(v, dict)]
    for c in candidates:
        if c.get("raised_exception"):
            return str(c.get("exception_message") or "unknown error")
    return None


def _failures(result, frame: pd.DataFrame, key: list[str]) -> list[ExpectationFailure]:
    """The failures described by one unsuccessful GE result."""
    config = result.expectation_config
    kind = config.type
    kwargs = config.kwargs
    meta = config.meta or {}
    columns = meta.get("columns", [])
    label = ",".join(columns) or None
    res = result.result or {}
    count = int(res.get("unexpected_count") or 0)
    rows = len(frame)

    error = _error_message(result)
    if error is not None:
        return [ExpectationFailure(kind, label, f"could not be evaluated: {error}", 0, [])]

    if kind == "expect_table_columns_to_match_set":
        mismatched = res.get("details", {}).get("mismatched", {})
        out = [
            ExpectationFailure(kind, c, "column is missing", 0, [])
            for c in mismatched.get("missing", [])
        ]
        extra = mismatched.get("unexpected", [])
        if extra:
            reason = f"not in the contract: {', '.join(extra)}"
            out.append(ExpectationFailure(kind, None, reason, len(extra), list(extra)))
        return out

    examples = _examples(res, key, columns)
    of_n = f"{count:,} of {rows:,}"
    if "rule" in meta:
        reason = f"{of_n} rows break the rule '{meta['rule']}'"
    elif kind in _TYPE_EXPECTATIONS:
        dtype = frame[kwargs["column"]].dtype
        reason = f"dtype is {dtype}, expected {meta['dtype']}"
        if count:  # object columns are checked value by value
            reason += f"; {of_n} values have another type"
    elif kind == "expect_column_values_to_not_be_null":
        reason = f"{of_n} values are null"
    elif kind == "expect_column_values_to_be_in_set":
        reason = f"{of_n} values are not one of {', '.join(map(str, kwargs['value_set']))}"
    elif kind == "expect_column_values_to_match_regex":
        reason = f"{of_n} values do not match {kwargs['regex']}"
    elif kind == "expect_column_values_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if isinstance(low, dt.datetime):  # a time range, end excluded
            reason = f"{of_n} values are outside {time_range_text(low, high)}"
        elif low is not None and high is not None:
            reason = f"{of_n} values are not between {low:g} and {high:g}"
        elif low is not None:
            reason = f"{of_n} values are below {low:g}"
        else:
            reason = f"{of_n} values are above {high:g}"
    elif kind == "expect_column_values_to_be_unique":
        reason = f"{of_n} values are duplicated"
    elif kind == "expect_compound_columns_to_be_unique":
        reason = f"{of_n} rows share their key ({', '.join(columns)}) with another row"
    else:
        reason = f"{of_n} values are unexpected (observed {res.get('observed_value')!r})"
    return [ExpectationFailure(kind, label, reason, count, examples)]


def _examples(res: dict, key: list[str], columns: list[str]) -> list[str]:
    """Up to ``MAX_EXAMPLES`` distinct offending values, or the offending rows' keys when the
    values are null (nulls say nothing)."""
    values = list(res.get("partial_unexpected_list") or [])
    if values and not all(_is_null(v) for v in values):
        # Pair rules give (A, B) tuples: name them after their columns.
        shown = [
            _show(
                dict(zip(columns, v, strict=True))
                if isinstance(v, tuple) and len(v) == len(columns)
                else v
            )
            for v in values
        ]
    else:
        shown = [
            _show({k: row.get(k) for k in key}) if isinstance(row, dict) and key else f"row {row}"
            for row in res.get("partial_unexpected_index_list") or []
        ]
    return list(dict.fromkeys(shown))[:MAX_EXAMPLES]


def _is_null(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, tuples, dicts
        return False


def _show(value) -> str:
    """A short rendering of one value (numpy scalars, timestamps, tuples, dicts)."""
    if isinstance(value, dict):
        return "(" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + ")"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    if _is_null(value):
        return "null"
    if isinstance(value, (np.datetime64, dt.date)):
        return str(pd.Timestamp(value))
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def _drop_errors_on_mistyped_columns(failures: list[ExpectationFailure]) -> list:
    # A column of the wrong dtype also makes e.g. the bounds or pair checks raise; the dtype
    # failure already says it all.
    mistyped = {f.column for f in failures if f.expectation in _TYPE_EXPECTATIONS}
    return [
        f
        for f in failures
        if not (
            f.reason.startswith("could not be evaluated")
            and mistyped.intersection((f.column or "").split(","))
        )
    ]
