"""The custom profile: user-entered registers, validated, and driving a real charger."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.smart_charging.drivers.base import ChargerStatus
from custom_components.smart_charging.drivers.modbus import (
    CUSTOM_FIELDS,
    CUSTOM_PROFILE_ID,
    PauseMethod,
    ProfileError,
    custom_profile,
)
from custom_components.smart_charging.drivers.modbus.custom import parse_state_map
from custom_components.smart_charging.drivers.modbus.registers import (
    DataType,
    RegisterType,
    WordOrder,
)

from .modbus_helpers import rig
from .modbus_vendors import Phoenix, Vestel

# the Vestel EVC04 map, as a user would type it from the manual
VESTEL_AS_CUSTOM: dict[str, Any] = {
    "write_multiple": False,
    "state_address": 1000,
    "state_register_type": "input",
    "state_map": "0=available, 1=preparing; 2=charging\n3=suspended_evse, 4=suspended_ev, 8=faulted",
    "setpoint_address": 5004,
    "current_l1_address": 1008,
    "current_l2_address": 1010,
    "current_l3_address": 1012,
    "currents_register_type": "input",
    "currents_scale": 0.001,
    "power_address": 1020,
    "power_register_type": "input",
    "power_data_type": "u32",
    "energy_address": 1036,
    "energy_register_type": "input",
    "energy_data_type": "u32",
    "energy_scale": 0.1,
    "failsafe_current_address": 2000,
    "failsafe_timeout_address": 2002,
    "failsafe_timeout_min_s": 6,
    "failsafe_timeout_max_s": 120,
    "alive_address": 6000,
    "rewrite_setpoint": False,
    "host": "ignored: not a profile field",
    "power_scale": "",  # empty: the default
}


def test_builds_a_profile_from_form_values() -> None:
    profile = custom_profile(VESTEL_AS_CUSTOM, default_unit=255)
    assert profile.id == CUSTOM_PROFILE_ID
    assert profile.default_unit == 255
    assert profile.state.register.kind is RegisterType.INPUT
    assert profile.state.status(3) is ChargerStatus.SUSPENDED_EVSE
    assert profile.setpoint.write_multiple is False
    assert profile.measurements.currents is not None
    assert profile.measurements.currents[2].scale == 0.001
    assert profile.measurements.energy is not None
    assert profile.measurements.energy.data_type is DataType.U32
    assert profile.watchdog.timeout_s(300) == 120
    assert profile.falls_back_by_itself
    assert not profile.verified_on_hardware


def test_minimal_profile_and_enable_pause() -> None:
    profile = custom_profile(
        {
            "state_address": 100,
            "state_register_type": "input",
            "state_data_type": "string",
            "state_map": {"A": "available", "C": "charging"},
            "setpoint_address": 528,
            "pause_method": "enable",
            "enable_address": 400,
            "enable_register_type": "coil",
            "enable_data_type": "f32",  # ignored for a coil
            "word_order": "little",
        }
    )
    assert profile.state.status("A") is ChargerStatus.AVAILABLE
    assert profile.pause.method is PauseMethod.ENABLE
    assert profile.pause.enable is not None
    assert profile.pause.enable.kind is RegisterType.COIL
    assert profile.setpoint.register.word_order is WordOrder.LITTLE
    assert profile.watchdog.heartbeat_period_s(60) == 30.0  # re-writes: no watchdog
    assert not profile.falls_back_by_itself


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"state_address": None}, "state_address"),
        ({"state_address": "abc"}, "state_address"),
        ({"state_address": 1.5}, "state_address"),
        ({"state_address": 70000}, "state_address"),
        ({"state_register_type": "coil"}, "state_register_type"),
        ({"state_data_type": "u128"}, "state_data_type"),
        ({"state_data_type": "string", "state_length": 0}, "state_length"),
        ({"state_map": "0=available, 1=flying"}, "state_map"),
        ({"state_map": "0=available, x=charging"}, "state_map"),
        ({"state_map": "0=available, 0=charging"}, "state_map"),
        ({"state_map": "available"}, "state_map"),
        ({"state_map": " , "}, "state_map"),
        ({"state_map": "0=offline"}, "state_map"),
        ({"setpoint_address": None}, "setpoint_address"),
        ({"setpoint_register_type": "input"}, "setpoint_register_type"),
        ({"setpoint_scale": 0}, "setpoint_scale"),
        ({"setpoint_scale": float("inf")}, "setpoint_scale"),
        ({"setpoint_min_a": 20, "setpoint_max_a": 10}, "setpoint_max_a"),
        ({"setpoint_scale": 0.0001}, "setpoint_max_a"),  # 32 A does not fit a u16
        ({"pause_method": "enable"}, "enable_address"),
        ({"pause_method": "sleep"}, "pause_method"),
        ({"word_order": "middle"}, "word_order"),
        ({"current_l3_address": None}, "current_l3_address"),
        ({"failsafe_timeout_min_s": 0}, "failsafe_timeout_min_s"),
        ({"alive_value": "x"}, "alive_value"),
    ],
)
def test_reports_the_offending_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ProfileError) as caught:
        custom_profile({**VESTEL_AS_CUSTOM, **change})
    assert caught.value.field == field
    assert caught.value.message


def test_state_map_parsing() -> None:
    assert parse_state_map("0x0A=charging", numeric=True) == {10: ChargerStatus.CHARGING}
    assert parse_state_map("B2 = Suspended_EV", numeric=False) == {"B2": ChargerStatus.SUSPENDED_EV}


def test_fields_describe_the_form() -> None:
    keys = [field.key for field in CUSTOM_FIELDS]
    assert len(keys) == len(set(keys))
    required = {field.key for field in CUSTOM_FIELDS if field.required}
    assert required == {"state_address", "state_map", "setpoint_address"}
    for field in CUSTOM_FIELDS:
        assert field.kind in ("int", "float", "bool", "text", "choice")
        if field.kind == "choice":
            assert field.default in field.choices


async def test_custom_profile_drives_a_charger() -> None:
    profile = custom_profile(VESTEL_AS_CUSTOM, default_unit=255)
    async with rig(Vestel(), profile) as r:
        r.fake.vehicle.plugged = True
        await r.charger.async_apply(16.0, 3)
        reading = await r.poll()
        assert reading.status is ChargerStatus.CHARGING
        assert reading.currents_a == pytest.approx((16.0, 16.0, 16.0))
        assert reading.energy_kwh == pytest.approx(1234.5)
        await r.charger.async_apply(0.0, 3)
        assert (await r.poll()).status is ChargerStatus.SUSPENDED_EVSE
        await r.charger.async_apply(10.0, 3)
        for _ in range(9):  # three timeouts of heartbeats
            await r.tick(10.0)
        assert not r.fake.expired
        await r.charger.async_stop()
        r.clock.advance(31.0)
        assert r.fake.limit_a == 8.0


async def test_custom_profile_with_enable_coil() -> None:
    profile = custom_profile(
        {
            "state_address": 100,
            "state_register_type": "input",
            "state_data_type": "string",
            "state_map": "A=available, B=preparing, C=charging",
            "setpoint_address": 528,
            "write_multiple": False,
            "pause_method": "enable",
            "enable_address": 400,
            "enable_register_type": "coil",
        },
        default_unit=255,
    )
    async with rig(Phoenix(), profile) as r:
        r.fake.vehicle.plugged = True
        await r.charger.async_apply(12.0, 3)
        assert (await r.poll()).status is ChargerStatus.CHARGING
        await r.charger.async_apply(0.0, 3)
        assert not r.fake.enabled
        assert (await r.poll()).status is ChargerStatus.SUSPENDED_EVSE
