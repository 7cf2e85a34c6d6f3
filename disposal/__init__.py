"""Dispose of risk (GACC Order No. 271 Art. 12-17): from assessed goods items to measures.

Pure domain code: the measure catalogue and the disposal policy are versioned YAML files
read here; everything else is computation on typed inputs (no database, no web). The
decision ledger, the API and the batch flow sit above this package and call it.

- ``catalogue``: the Art. 13 measures (``MeasureKind``, ``Measure``, ``MeasureCatalogue``).
- ``policy``: credit modulation, capacity rules and their derived thresholds.
- ``instructions``: control instructions (布控指令) and their lifecycle, emergencies.
- ``selection``: the keyed-hash random draw (双随机, Art. 16 exploration).
- ``disposition``: ``dispose`` (one declaration) and ``dispose_frame`` (a batch).
- ``capacity``: target vs actual shares, random-selection and credit reports.
"""
