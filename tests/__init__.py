"""The suite's package; importing it pins the panel's calendar day for the whole run.

Modules read today's date once, at import (``TODAY``), while the panel reads it on every
request; a run that straddles Beijing midnight would see two different days. Pinning
``PANEL_TODAY`` here, before any test module is imported, gives every module, every
request and the browser suite's server (which inherits the environment) the same day.
A value already set (a run reproducing a given day) is kept.
"""

import os

from admin_app.util.dates import PINNED_TODAY_VARIABLE, local_today

os.environ.setdefault(PINNED_TODAY_VARIABLE, local_today().isoformat())
