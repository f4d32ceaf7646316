"""Fixtures for the reliability tests: those of the Home Assistant tests, re-exported.

The autouse fixtures among them (custom integrations enabled, sockets allowed on
127.0.0.1) are needed by every test here.
"""

from __future__ import annotations

from tests.ha.conftest import *  # noqa: F403
