"""Vendor register maps for ``FakeCharger``, typed in from the vendor documents.

Independent of the driver's profiles on purpose: a wrong address or scale in a profile
then fails a test instead of being mirrored by the fake.
"""

from __future__ import annotations

from collections.abc import Callable

from .modbus_fake import (
    ILLEGAL_ADDRESS,
    ILLEGAL_VALUE,
    FakeCharger,
    f32,
    f64,
    from_f32,
    s32,
    text,
    u32,
    u64,
)

type Image = dict[tuple[str, int], int]
type Handler = tuple[int, Callable[[FakeCharger, list[int]], int | None]]


def put(image: Image, table: str, address: int, words: list[int]) -> None:
    for offset, word in enumerate(words):
        image[(table, address + offset)] = word


def _range(value: float, low: float, high: float, *, zero: bool = True) -> bool:
    return (zero and value == 0) or low <= value <= high


class VendorMap:
    """How one vendor lays out the charger model (override what differs)."""

    unit = 1
    boot_setpoint_a = 16.0
    boot_failsafe_a = 6.0
    boot_timeout_s: float | None = None
    write_functions = frozenset({5, 6, 15, 16})
    contact_on_any_request = False

    def render(self, c: FakeCharger) -> Image:
        raise NotImplementedError

    def handlers(self) -> dict[tuple[str, int], Handler]:
        raise NotImplementedError

    def check_read(self, table: str, address: int, count: int) -> int | None:
        return None


def _setpoint(low: float, high: float, scale: float = 1.0, *, zero: bool = True) -> Handler:
    def apply(c: FakeCharger, values: list[int]) -> int | None:
        amps = values[0] * scale
        if not _range(amps, low, high, zero=zero):
            return ILLEGAL_VALUE
        c.setpoint_a = amps
        return None

    return (1, apply)


def _failsafe(low: float, high: float, scale: float = 1.0) -> Handler:
    def apply(c: FakeCharger, values: list[int]) -> int | None:
        amps = values[0] * scale
        if not _range(amps, low, high):
            return ILLEGAL_VALUE
        c.failsafe_a = amps
        return None

    return (1, apply)


def _timeout(low: float, high: float, scale: float = 1.0, *, contact: bool = False) -> Handler:
    def apply(c: FakeCharger, values: list[int]) -> int | None:
        seconds = values[0] * scale
        if not _range(seconds, low, high):
            return ILLEGAL_VALUE
        c.timeout_s = seconds or None  # 0 switches the watchdog off
        if contact:
            c.contact()
        return None

    return (1, apply)


def _switch(attribute: str, on: int = 1, off: int = 0) -> Handler:
    def apply(c: FakeCharger, values: list[int]) -> int | None:
        if values[0] not in (on, off):
            return ILLEGAL_VALUE
        setattr(c, attribute, values[0] == on)
        return None

    return (1, apply)


def _phases(one: int, three: int) -> Handler:
    def apply(c: FakeCharger, values: list[int]) -> int | None:
        if values[0] not in (one, three):
            return ILLEGAL_VALUE
        c.phases = 1 if values[0] == one else 3
        return None

    return (1, apply)


def _alive(c: FakeCharger, values: list[int]) -> int | None:
    if values[0] == 1:
        c.contact()
    return None


class Alfen(VendorMap):
    """Alfen NG9xx, socket 1: holding registers, float32, validity time 60 s."""

    unit = 1
    boot_setpoint_a = 32.0
    boot_failsafe_a = 6.0  # the installer's safe current (1212)
    boot_timeout_s = 60.0

    def render(self, c: FakeCharger) -> Image:
        image: Image = {}
        h = "holding"
        for n, current in enumerate(c.currents()):
            put(image, h, 306 + 2 * n, f32(c.voltage_v))
            put(image, h, 320 + 2 * n, f32(current))
        put(image, h, 344, f32(c.power_w))
        put(image, h, 374, f64(c.energy_wh))
        put(image, h, 1201, text(c.mode3(), 5))
        put(image, h, 1206, f32(c.limit_a))
        remaining = max(0.0, 60.0 - (c.now() - c.last_contact))
        put(image, h, 1208, u32(remaining))
        put(image, h, 1210, f32(c.setpoint_a))
        put(image, h, 1212, f32(c.failsafe_a))
        put(image, h, 1214, [1])
        put(image, h, 1215, [c.phases])
        return image

    def handlers(self) -> dict[tuple[str, int], Handler]:
        def max_current(c: FakeCharger, values: list[int]) -> int | None:
            c.setpoint_a = from_f32(values)
            c.contact()
            return None

        return {("holding", 1210): (2, max_current), ("holding", 1215): _phases(1, 3)}


class Vestel(VendorMap):
    """Vestel EVC04 / Webasto Unite: state in input 1000 (OCPP-like), unit 255."""

    unit = 255
    boot_setpoint_a = 32.0
    boot_timeout_s = 20.0

    def state(self, c: FakeCharger) -> int:
        if not c.vehicle.plugged:
            return 0
        if c.fault:
            return 8
        if c.charging:
            return 2
        return 3 if c.limit_a < 6 else 4

    def render(self, c: FakeCharger) -> Image:
        image: Image = {}
        i, h = "input", "holding"
        put(image, i, 1000, [self.state(c)])
        put(image, i, 1004, [2 if c.vehicle.plugged else 0])
        for n, current in enumerate(c.currents()):
            put(image, i, 1008 + 2 * n, [round(current * 1000)])
            put(image, i, 1014 + 2 * n, [round(c.voltage_v)])
        put(image, i, 1020, u32(c.power_w))
        put(image, i, 1036, u32(c.energy_wh / 100))
        put(image, i, 1502, u32(c.session_wh))
        put(image, i, 100, text("VESTEL0001", 25))
        put(image, i, 230, text("v3.156.0-x", 50))
        put(image, i, 404, [1])
        put(image, h, 405, [0 if c.phases == 1 else 1])
        put(image, h, 2000, [round(c.failsafe_a)])
        put(image, h, 2002, [round(c.timeout_s or 0)])
        put(image, h, 5004, [round(c.setpoint_a)])
        put(image, h, 6000, [0 if c.expired else 1])
        return image

    def handlers(self) -> dict[tuple[str, int], Handler]:
        return {
            ("holding", 2000): _failsafe(6, 32),
            ("holding", 2002): _timeout(6, 120),
            ("holding", 5004): _setpoint(6, 32),
            ("holding", 6000): (1, _alive),
            ("holding", 405): _phases(0, 1),
        }


class WebastoNext(Vestel):
    """Webasto Next: its own state codes in holding 1000; currents in the input table."""

    def state(self, c: FakeCharger) -> int:
        if not c.vehicle.plugged:
            return 0
        if c.fault:
            return 7
        return 3 if c.charging else 4

    def render(self, c: FakeCharger) -> Image:
        image: Image = {}
        i, h = "input", "holding"
        put(image, h, 1000, [self.state(c)])
        for n, current in enumerate(c.currents()):
            put(image, i, 1008 + 2 * n, [round(current * 1000)])
        put(image, h, 1020, u32(c.power_w))
        put(image, h, 1036, u32(c.energy_wh))
        put(image, h, 2000, [round(c.failsafe_a)])
        put(image, h, 2002, [round(c.timeout_s or 0)])
        put(image, h, 5004, [round(c.setpoint_a)])
        put(image, h, 6000, [0 if c.expired else 1])
        return image

    def handlers(self) -> dict[tuple[str, int], Handler]:
        handlers = super().handlers()
        del handlers[("holding", 405)]
        return handlers


class Keba(VendorMap):
    """KEBA P30: 32-bit holding registers (read one at a time), 16-bit writes (0x06)."""

    unit = 255
    boot_setpoint_a = 32.0
    boot_failsafe_a = 0.0
    boot_timeout_s = None  # failsafe off until configured
    write_functions = frozenset({6})
    has_enable = True  # the P40 pauses at 0 mA instead

    def state(self, c: FakeCharger) -> int:
        if not c.vehicle.plugged:
            return 1
        if c.fault:
            return 4
        if c.charging:
            return 3
        return 5 if c.limit_a < 6 else 2

    def render(self, c: FakeCharger) -> Image:
        image: Image = {}
        h = "holding"
        put(image, h, 1000, u32(self.state(c)))
        put(image, h, 1004, u32(7 if c.vehicle.plugged else 0))
        for n, current in enumerate(c.currents()):
            put(image, h, 1008 + 2 * n, u32(round(current * 1000)))
            put(image, h, 1040 + 2 * n, u32(round(c.voltage_v)))
        put(image, h, 1014, u32(22012345))
        put(image, h, 1020, u32(c.power_w * 1000))
        put(image, h, 1036, u32(c.energy_wh * 10))
        put(image, h, 1600, u32(c.failsafe_a * 1000))
        put(image, h, 1602, u32(c.timeout_s or 0))
        return image

    def check_read(self, table: str, address: int, count: int) -> int | None:
        if table == "holding" and 1000 <= address < 2000 and count != 2:
            return ILLEGAL_ADDRESS  # "does not support reading across register boundaries"
        return None

    def handlers(self) -> dict[tuple[str, int], Handler]:
        handlers: dict[tuple[str, int], Handler] = {
            ("holding", 5004): _setpoint(6, 63, 0.001, zero=not self.has_enable),
            ("holding", 5016): _failsafe(6, 63, 0.001),
            ("holding", 5018): _timeout(10, 600, contact=True),
            ("holding", 5052): _phases(0, 1),
        }
        if self.has_enable:
            handlers[("holding", 5014)] = _switch("enabled")
        return handlers


class KebaP40(Keba):
    has_enable = False


class Phoenix(VendorMap):
    """Phoenix Contact EV-CC: state letter in input 100, enable coil 400, 528 in A."""

    unit = 255
    setpoint_scale = 1.0
    energy_address = 904

    def render(self, c: FakeCharger) -> Image:
        image: Image = {}
        i, h = "input", "holding"
        letter = "F" if c.vehicle.plugged and c.fault else c.mode3()[0]
        put(image, i, 100, [ord(letter)])
        for n, current in enumerate(c.currents()):
            put(image, i, 108 + 2 * n, s32(c.voltage_v, little=True))
            put(image, i, 114 + 2 * n, s32(round(current), little=True))
        put(image, i, 120, s32(c.power_w, little=True))
        put(image, h, 528, [round(c.setpoint_a / self.setpoint_scale)])
        if self.energy_address == 904:
            put(image, h, 904, u32(c.energy_wh, little=True))
        else:
            put(image, h, self.energy_address, u64(c.energy_wh, little=True))
        image[("coil", 400)] = int(c.enabled)
        return image

    def handlers(self) -> dict[tuple[str, int], Handler]:
        return {
            ("coil", 400): _switch("enabled"),
            ("holding", 528): _setpoint(6, 80, self.setpoint_scale, zero=False),
        }


class Wallbe(Phoenix):
    setpoint_scale = 0.1
    energy_address = 2980


class GoE(VendorMap):
    """go-eCharger: input 100 car state, holding 299 volatile amps; writes by 0x10 only."""

    unit = 1
    write_functions = frozenset({16})

    def state(self, c: FakeCharger) -> int:
        if not c.vehicle.plugged:
            return 1
        if c.charging:
            return 2
        return 3 if c.vehicle.wants else 4

    def render(self, c: FakeCharger) -> Image:
        image: Image = {}
        i, h = "input", "holding"
        put(image, i, 100, [self.state(c)])
        put(image, i, 105, text("056a", 2))
        for n, current in enumerate(c.currents()):
            put(image, i, 108 + 2 * n, u32(c.voltage_v))
            put(image, i, 114 + 2 * n, u32(round(current * 10)))
        put(image, i, 120, u32(c.power_w * 100))
        put(image, i, 128, u32(c.energy_wh / 100))
        put(image, i, 132, u32(c.session_wh * 360))
        put(image, i, 304, text("012345678901", 6))
        put(image, h, 200, [int(c.enabled)])
        put(image, h, 299, [round(c.setpoint_a)])
        put(image, h, 300, [16])
        return image

    def handlers(self) -> dict[tuple[str, int], Handler]:
        return {
            ("holding", 200): _switch("enabled"),
            ("holding", 299): _setpoint(6, 32, zero=False),
            ("holding", 300): _setpoint(6, 32, zero=False),  # EEPROM: must never be written
        }


class Heidelberg(VendorMap):
    """Heidelberg Energy Control: any request feeds the watchdog (ms in holding 257)."""

    unit = 1
    boot_failsafe_a = 0.0
    boot_timeout_s = 15.0
    contact_on_any_request = True

    def state(self, c: FakeCharger) -> int:
        offering = c.limit_a >= 6
        if not c.vehicle.plugged:
            return 3 if offering else 2
        if c.fault:
            return 9
        if c.charging:
            return 7
        if c.vehicle.wants:
            return 6
        return 5 if offering else 4

    def render(self, c: FakeCharger) -> Image:
        image: Image = {}
        i, h = "input", "holding"
        put(image, i, 4, [0x0108])
        put(image, i, 5, [self.state(c)])
        for n, current in enumerate(c.currents()):
            put(image, i, 6 + n, [round(current * 10)])
            put(image, i, 10 + n, [round(c.voltage_v)])
        put(image, i, 9, [255])  # 25.5 °C
        put(image, i, 13, [1])
        put(image, i, 14, [round(c.power_w)])
        put(image, i, 15, u32(c.session_wh))
        put(image, i, 17, u32(c.energy_wh))
        put(image, h, 257, [round((c.timeout_s or 0) * 1000)])
        put(image, h, 258, [0])
        put(image, h, 259, [1])
        put(image, h, 261, [round(c.setpoint_a * 10)])
        put(image, h, 262, [round(c.failsafe_a * 10)])
        return image

    def handlers(self) -> dict[tuple[str, int], Handler]:
        def standby(c: FakeCharger, values: list[int]) -> int | None:
            return None if values[0] in (0, 4) else ILLEGAL_VALUE

        return {
            ("holding", 257): _timeout(0.001, 65.535, 0.001),
            ("holding", 258): (1, standby),
            ("holding", 261): _setpoint(6, 16, 0.1),
            ("holding", 262): _failsafe(6, 16, 0.1),
        }
