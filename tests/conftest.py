"""Settings for the whole test suite.

Hypothesis profiles: CI (``CI`` set, e.g. ``CI=true``) runs the ``ci`` profile, which
derives every property's examples from the test itself, so a CI run is reproducible and
a red build stays red until fixed; it also prints the blob to replay a failure with
``@reproduce_failure``. Locally the default profile stays random, so each run explores
new examples. Run ``CI=1 scripts/test`` to see exactly what CI sees.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
