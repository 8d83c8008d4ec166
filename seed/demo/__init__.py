"""Deterministic demo data: 联合乡 (township scale) or a whole county, to try the panel on.

Rows are generated in memory as plain dicts whose primary keys are assigned here, and
written in bulk: the county set (about 700,000 rows) must load in well under two minutes,
which ORM unit-of-work flushes cannot do. Bulk inserts bypass the ORM hook of
``admin_app.util.history``, so the status history is written here, one row per change, as the
hook would have written it.

The data tells the story of the 2025—2026 school year and the autumn term of 2026: the
history starts on 1 September 2025 and grades are those of the 2026—2027 school year.
Everything follows from ``random_seed`` and the fixed dates in ``settings``; the one concession to
the clock is that no event is dated after today, because the panel refuses future dates.

The parts, by what they generate: ``places``, ``households`` (and children), ``cases``
(and plans), ``assistance``, ``agreements`` (and inspections); ``context`` holds the shared
random state, ``settings`` the numbers, ``writer`` the bulk writing and checking, and
``build`` the entry point (``build_demo``).
"""
