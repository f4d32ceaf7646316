"""Answers to every CALL a charge point sends, as a route map for the ``ocpp`` library.

Handlers turn the library's snake_case keyword arguments into typed values, hand them to
the ``HandlerHost`` (the charger's state) and return the library's ``call_result``
objects. They never call out: anything that must follow an answer (setup after an
accepted boot, a TxProfile after a transaction starts, closing after a rejection) runs
from the route's ``_after_action`` hook, which the library calls *after* sending the
answer, as a task tracked by the session.

The route map format is the library's own (``ocpp.routing.create_route_map``); building
it here avoids subclassing the untyped library class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import functools
from typing import Any, Protocol

from aiohttp import WSCloseCode
from ocpp.exceptions import (
    OCPPError,
    PropertyConstraintViolationError,
    SecurityError,
    TypeConstraintViolationError,
)
from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from ..base import ChargerInfo
from .compat import Admission, ServerConfig
from .logs import driver_logger
from .measurands import MeterSample, parse_meter_values
from .profiles import format_time

_LOGGER = driver_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionContext:
    """What sessions need from the server (callbacks are already exception-safe)."""

    config: ServerConfig
    admission: Callable[[str], Admission]
    next_transaction_id: Callable[[], int]
    on_pending_boot: Callable[[str, ChargerInfo], None]
    on_accepted_boot: Callable[[str], None]


class HandlerSession(Protocol):
    """The connection the handlers answer on."""

    cp_id: str
    retired: bool  # replaced by a newer connection of the same id

    def booted(self, *, accepted: bool) -> None:
        """Record the answer to a BootNotification."""

    def spawn_close(self, code: int, reason: str) -> None:
        """Close the connection soon (from a task, not from the handler)."""


class HandlerHost(Protocol):
    """The charger state the handlers update."""

    def record_info(self, info: ChargerInfo) -> None:
        """Store what a BootNotification says."""

    def record_status(
        self, connector_id: int, status: str, error_code: str, vendor_error: str | None
    ) -> None:
        """Store a StatusNotification."""

    def record_meter_values(
        self, connector_id: int, transaction_id: int | None, sample: MeterSample
    ) -> None:
        """Store a MeterValues sample."""

    def record_transaction_start(
        self, connector_id: int, transaction_id: int, meter_start_wh: float
    ) -> None:
        """Store a started transaction."""

    def record_transaction_stop(self, transaction_id: int, meter_stop_wh: float) -> None:
        """Store a stopped transaction."""

    def transaction_changed(self) -> None:
        """A transaction id became known (after its answer was sent)."""


def _guarded(handler: Callable[..., Any], session: HandlerSession) -> Callable[..., Any]:
    """Turn bad values into a CALLERROR; refuse CALLs on a replaced connection.

    Wrong types are possible when validation is skipped; values the schema allows can
    still be out of range (an integer too large for a float).
    """

    @functools.wraps(handler)
    def wrapper(**kwargs: Any) -> Any:
        if session.retired:  # the frame was on its way when a newer connection took over
            raise SecurityError(description="replaced by a newer connection")
        try:
            return handler(**kwargs)
        except OCPPError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            raise TypeConstraintViolationError(details={"cause": str(err)}) from err
        except ArithmeticError as err:
            raise PropertyConstraintViolationError(details={"cause": str(err)}) from err

    return wrapper


def _unless_retired(after: Callable[..., Any], session: HandlerSession) -> Callable[..., Any]:
    """Skip an after-answer hook once a newer connection has taken over."""

    @functools.wraps(after)
    def wrapper(**kwargs: Any) -> Any:
        return None if session.retired else after(**kwargs)

    return wrapper


def _accepted_id_tag() -> dict[str, str]:
    return {"status": "Accepted"}


class Handlers:
    """The handlers of one session."""

    def __init__(self, session: HandlerSession, host: HandlerHost, context: SessionContext) -> None:
        """Bind the handlers to a session and its charger."""
        self._session = session
        self._host = host
        self._context = context
        self._boot_answer: Admission | None = None
        self._boot_info: ChargerInfo | None = None

    def route_map(self, *, skip_validation: bool) -> dict[str, dict[str, Any]]:
        """Return the library route map."""
        routes: dict[str, tuple[Callable[..., Any], Callable[..., Any] | None]] = {
            Action.boot_notification: (self._boot, self._after_boot),
            Action.heartbeat: (self._heartbeat, None),
            Action.status_notification: (self._status, None),
            Action.meter_values: (self._meter_values, self._after_transaction),
            Action.authorize: (self._authorize, None),
            Action.start_transaction: (self._start_transaction, self._after_transaction),
            Action.stop_transaction: (self._stop_transaction, None),
            Action.data_transfer: (self._data_transfer, None),
            Action.firmware_status_notification: (self._firmware_status, None),
            Action.diagnostics_status_notification: (self._diagnostics_status, None),
            Action.security_event_notification: (self._security_event, None),
        }
        route_map: dict[str, dict[str, Any]] = {}
        for action, (on, after) in routes.items():
            route: dict[str, Any] = {
                "_on_action": _guarded(on, self._session),
                "_skip_schema_validation": skip_validation,
            }
            if after is not None:
                route["_after_action"] = _unless_retired(after, self._session)
            route_map[str(action)] = route
        return route_map

    def _now(self) -> str:
        return format_time(self._context.config.utcnow())

    # ---- boot -----------------------------------------------------------------------

    def _boot(
        self,
        charge_point_vendor: str,
        charge_point_model: str,
        charge_point_serial_number: str | None = None,
        charge_box_serial_number: str | None = None,
        firmware_version: str | None = None,
        **_: Any,
    ) -> Any:
        info = ChargerInfo(
            vendor=str(charge_point_vendor),
            model=str(charge_point_model),
            serial_number=charge_point_serial_number or charge_box_serial_number,
            firmware_version=firmware_version,
        )
        answer = self._context.admission(self._session.cp_id)
        self._boot_answer, self._boot_info = answer, info
        self._host.record_info(info)
        config = self._context.config
        accepted = answer is Admission.ACCEPT
        return call_result.BootNotification(
            current_time=self._now(),
            interval=config.heartbeat_interval_s if accepted else config.pending_interval_s,
            status={
                Admission.ACCEPT: "Accepted",
                Admission.PENDING: "Pending",
                Admission.REJECT: "Rejected",
            }[answer],
        )

    def _after_boot(self, **_: Any) -> None:
        answer, info = self._boot_answer, self._boot_info
        cp_id = self._session.cp_id
        self._session.booted(accepted=answer is Admission.ACCEPT)
        if answer is Admission.ACCEPT:
            self._context.on_accepted_boot(cp_id)
        elif answer is Admission.PENDING and info is not None:
            self._context.on_pending_boot(cp_id, info)
        elif answer is Admission.REJECT:
            self._session.spawn_close(WSCloseCode.POLICY_VIOLATION, "rejected")

    # ---- state ----------------------------------------------------------------------

    def _heartbeat(self, **_: Any) -> Any:
        return call_result.Heartbeat(current_time=self._now())

    def _status(
        self,
        connector_id: int,
        error_code: str,
        status: str,
        vendor_error_code: str | None = None,
        **_: Any,
    ) -> Any:
        self._host.record_status(int(connector_id), str(status), str(error_code), vendor_error_code)
        return call_result.StatusNotification()

    def _meter_values(
        self,
        connector_id: int,
        meter_value: list[Any],
        transaction_id: int | None = None,
        **_: Any,
    ) -> Any:
        tx = None if transaction_id is None else int(transaction_id)
        self._host.record_meter_values(int(connector_id), tx, parse_meter_values(meter_value))
        return call_result.MeterValues()

    def _after_transaction(self, **_: Any) -> None:
        self._host.transaction_changed()

    def _authorize(self, id_tag: str, **_: Any) -> Any:
        return call_result.Authorize(id_tag_info=_accepted_id_tag())

    def _start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> Any:
        connector, meter_start_wh = int(connector_id), float(meter_start)  # before an id is used
        transaction_id = self._context.next_transaction_id()
        self._host.record_transaction_start(connector, transaction_id, meter_start_wh)
        return call_result.StartTransaction(
            transaction_id=transaction_id, id_tag_info=_accepted_id_tag()
        )

    def _stop_transaction(
        self, meter_stop: int, timestamp: str, transaction_id: int, **_: Any
    ) -> Any:
        self._host.record_transaction_stop(int(transaction_id), float(meter_stop))
        return call_result.StopTransaction(id_tag_info=_accepted_id_tag())

    # ---- informational --------------------------------------------------------------

    def _data_transfer(self, vendor_id: str, message_id: str | None = None, **_: Any) -> Any:
        _LOGGER.debug("%s: DataTransfer %s/%s", self._session.cp_id, vendor_id, message_id)
        return call_result.DataTransfer(status="UnknownVendorId")

    def _firmware_status(self, status: str, **_: Any) -> Any:
        _LOGGER.info("%s: firmware status %s", self._session.cp_id, status)
        return call_result.FirmwareStatusNotification()

    def _diagnostics_status(self, status: str, **_: Any) -> Any:
        _LOGGER.info("%s: diagnostics status %s", self._session.cp_id, status)
        return call_result.DiagnosticsStatusNotification()

    def _security_event(self, type: str, timestamp: str, **_: Any) -> Any:  # noqa: A002
        _LOGGER.info("%s: security event %s", self._session.cp_id, type)
        return call_result.SecurityEventNotification()
