r"""Loggers of the OCPP driver that can write whatever a charger sends.

A charger's JSON may carry a lone surrogate (``"\ud800"`` is valid JSON, not valid
UTF-8). Logged as it is, it cannot be written to a UTF-8 log file: the handler reports a
logging error instead of the line. The filter here escapes such characters in the
arguments of every record, so the line is written, with the odd character visible.
"""

from __future__ import annotations

import logging
from typing import Any


class _EscapeSurrogates(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_escaped(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _escaped(value) for key, value in record.args.items()}
        return True


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


_FILTER = _EscapeSurrogates()


def driver_logger(name: str) -> logging.Logger:
    """The logger of a driver module, escaping what cannot be written."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
