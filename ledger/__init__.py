"""The decision ledger (Art. 4) and the platform's operational database (Art. 5).

One schema (``schema.py``) on SQLite or PostgreSQL, migrated with Alembic
(``database.py``), and one repository per kind of record: ``decisions.py`` (the
append-only, hash-chained decisions), ``outcomes.py`` (inspection results),
``instructions.py`` (every version of every control instruction), ``keys.py`` (API keys
and roles), ``audit.py`` (who did what), ``evidence.py`` (Art. 15 evidence, its review
and the decision taken again), ``assessments.py`` (Art. 11 expert assessments),
``warnings.py`` (Art. 14 risk warnings). ``masking.py`` keeps enterprise and person
identifiers out of logs. The domain rules (measures, policy, the instruction lifecycle)
live in ``disposal``; this package stores what it is given.
"""
