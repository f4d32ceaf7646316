"""Per-charger compatibility options and the server's settings.

Chargers bend OCPP in different ways (some accept only ``W``, some reject a stack level
above 0, some fail schema validation). Instead of forks, every charger gets a
``CompatOptions`` value that the Home Assistant layer fills from the UI; the defaults suit
a conformant charger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
import ssl
import time
from typing import Final

DEFAULT_PORT: Final = 9100
SUBPROTOCOL: Final = "ocpp1.6"


class Admission(StrEnum):
    """What the Home Assistant layer says about a charge point id."""

    ACCEPT = "accept"  # confirmed by the user, or new ids are accepted automatically
    PENDING = "pending"  # unknown or not yet confirmed: BootNotification Pending
    REJECT = "reject"  # ignored by the user: HTTP 404 at the handshake


class RateUnit(StrEnum):
    """The unit of the limits sent to a charger."""

    AUTO = "auto"  # from ChargingScheduleAllowedChargingRateUnit; amps when unknown
    AMPS = "A"
    WATTS = "W"


class ProfilePurpose(StrEnum):
    """The purpose of the live-limit profile."""

    TX_DEFAULT = "TxDefaultProfile"  # also caps a running transaction (errata 3.8)
    TX = "TxProfile"  # only during a transaction; carries its transactionId


class PhaseSwitching(StrEnum):
    """Whether the charger switches 1p/3p through ``numberPhases``."""

    AUTO = "auto"  # from ConnectorSwitch3to1PhaseSupported
    ENABLED = "enabled"
    DISABLED = "disabled"


class PauseMode(StrEnum):
    """How a limit of 0 A is carried out."""

    LIMIT_ZERO = "limit_zero"  # a 0 A profile; the session stays open
    REMOTE_STOP = "remote_stop"  # RemoteStopTransaction; needs remote start to resume


@dataclass(frozen=True, slots=True, kw_only=True)
class CompatOptions:
    """How to talk to one charge point (all fields have conformant defaults)."""

    rate_unit: RateUnit = RateUnit.AUTO
    stack_level: int = 1  # of the live profile; the safe fallback sits at level 0
    purpose: ProfilePurpose = ProfilePurpose.TX_DEFAULT
    skip_schema_validation: bool = False  # of the charger's CALLs (non-conformant firmware)
    phase_switching: PhaseSwitching = PhaseSwitching.AUTO
    pause_mode: PauseMode = PauseMode.LIMIT_ZERO
    remote_start: bool = False  # RemoteStartTransaction when the charger waits in Preparing
    id_tag: str = "smart_charging"  # the idTag of remote starts
    connector_id: int = 1
    safe_current_a: float = 6.0  # the fallback when the controller is gone; 0 pauses
    supply_phases: int = 3  # how the charger is wired; converts the safe current to W
    nominal_voltage_v: float = 230.0  # for W limits until the charger reports a voltage
    expiry_s: int = 300  # a live limit lapses into the fallback this long after a refresh
    refresh_s: float = 60.0  # an unchanged live limit is sent again after this long
    call_timeout_s: float = 5.0  # per CALL; keep it below the control cycle
    meter_interval_s: int = 10  # MeterValueSampleInterval
    settle_s: float = 30.0  # wait this long after a limit change before judging Current.Offered
    # After a raise, ask for MeterValues (TriggerMessage) this long after it: the car
    # follows in 5-10 s, and the grid meter sees it long before the next regular sample,
    # when its draw would count as house load. () asks for nothing.
    follow_up_s: tuple[float, ...] = (3.0, 6.0, 9.0, 12.0)

    def __post_init__(self) -> None:
        """Reject values no charger could use."""
        if not 0 <= self.stack_level <= 100:
            raise ValueError(f"stack_level out of range: {self.stack_level}")
        if self.connector_id < 1:
            raise ValueError(f"connector_id must be at least 1: {self.connector_id}")
        if not 0 <= self.safe_current_a <= 80:
            raise ValueError(f"safe_current_a out of range: {self.safe_current_a}")
        if self.supply_phases not in (1, 2, 3):
            raise ValueError(f"supply_phases must be 1, 2 or 3: {self.supply_phases}")
        if not 100 <= self.nominal_voltage_v <= 280:
            raise ValueError(f"nominal_voltage_v out of range: {self.nominal_voltage_v}")
        if self.expiry_s < 30 or not 0 < self.refresh_s < self.expiry_s:
            raise ValueError("expiry_s must be >= 30 s and refresh_s between 0 and expiry_s")
        if self.call_timeout_s <= 0 or self.meter_interval_s < 1 or self.settle_s < 0:
            raise ValueError("call_timeout_s, meter_interval_s and settle_s must be positive")
        if not 1 <= len(self.id_tag) <= 20:
            raise ValueError("id_tag must be 1 to 20 characters")
        follow = self.follow_up_s
        if (
            len(follow) > 10
            or list(follow) != sorted(follow)
            or not all(0 < d <= 60 for d in follow)
        ):
            raise ValueError("follow_up_s: at most 10 increasing delays of up to 60 s")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig:
    """The central system's settings (owned by the site's config entry)."""

    host: str | None = None  # None: every interface
    port: int = DEFAULT_PORT  # 0: any free port (see ``OcppServer.port``)
    password: str | None = None  # security profile 1: Basic Auth, user = charge point id
    # A charge point's own password (its AuthorizationKey), when it has one: it replaces
    # the site-wide ``password`` for that id, so one charger's key cannot pass as another.
    charger_password: Callable[[str], str | None] = field(default=lambda _cp_id: None, repr=False)
    ssl_context: ssl.SSLContext | None = None  # security profile 2: TLS >= 1.2
    heartbeat_interval_s: int = 300  # the interval in an Accepted BootNotification
    pending_interval_s: int = 60  # the retry interval in a Pending/Rejected one
    ping_interval_s: float | None = 30.0  # websocket pings; no pong in half that = dead
    max_message_bytes: int = 64 * 1024  # larger frames close the connection (1009)
    boot_wait_s: float = 10.0  # a reconnect without BootNotification: trigger one after this
    max_pending: int = 32  # connections of unconfirmed ids at once; more get HTTP 503
    close_timeout_s: float = 5.0
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)
    utcnow: Callable[[], datetime] = field(default=_utcnow, repr=False)
