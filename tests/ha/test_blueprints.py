"""The automation blueprints, loaded by Home Assistant's blueprint integration and run."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import conversation
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.components.calendar import DATA_COMPONENT, CalendarEntity, CalendarEvent
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.smart_charging.charger import ChargerHandle
from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.drivers.base import ChargerReading, ChargerStatus
from custom_components.smart_charging.engine.model import ChargerMode

from .test_ocpp import charger_entry

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation" / "smart_charging"
SOURCE = "https://github.com/smart-charging/smart_charging/blob/main/blueprints/automation/smart_charging/"
MODE = "select.acme_wallbox_11_cp1_mode"
PLAN = "sensor.acme_wallbox_11_cp1_plan"
STATUS = "sensor.acme_wallbox_11_cp1_status"
REASON = "sensor.acme_wallbox_11_cp1_reason"
SIGNAL = "binary_sensor.control_box_relay"
CHARGER_NAME = "Acme Wallbox 11 (CP1)"


def _saturday(hour: int = 10) -> datetime:
    """A Saturday, local time of the test instance."""
    return datetime(2026, 6, 6, hour, tzinfo=dt_util.get_default_time_zone())


def _monday(hour: int = 10) -> datetime:
    """The Monday after it."""
    return _saturday(hour) + timedelta(days=2)


@dataclass
class Car:
    """What the charger reports, set by the test; the site's control cycle reads it."""

    hass: HomeAssistant
    entry: MockConfigEntry
    reading: ChargerReading

    @property
    def handle(self) -> ChargerHandle:
        handle: ChargerHandle = self.entry.runtime_data.handle
        return handle

    async def report(self, status: str, **changes: Any) -> None:
        """The charger reports ``status``; a control cycle runs on it."""
        self.reading = replace(self.reading, status=ChargerStatus(status), **changes)
        await self.entry.runtime_data.site.coordinator.async_refresh()
        await self.hass.async_block_till_done()
        assert self.hass.states.get(STATUS).state == status


@pytest.fixture
async def charger(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> MockConfigEntry:
    """A loaded charger of the loaded test site."""
    entry = charger_entry(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture
def car(hass: HomeAssistant, charger: MockConfigEntry) -> Generator[Car]:
    """The charger's reports come from the test; its commands are accepted silently."""
    driver = charger.runtime_data.handle.driver
    car = Car(hass, charger, replace(driver.reading, status=ChargerStatus.AVAILABLE))
    with (
        patch.object(type(driver), "reading", property(lambda _: car.reading)),
        patch.object(type(driver), "async_apply", AsyncMock()),
    ):
        yield car


@pytest.fixture
async def blueprint_dir(hass: HomeAssistant, tmp_path: Path) -> AsyncGenerator[Path]:
    """A configuration directory holding the repository's blueprints, as if imported.

    Afterwards the automations are turned off, which detaches their time triggers.
    """
    config_dir = hass.config.config_dir
    target = tmp_path / "blueprints" / "automation" / "smart_charging"
    target.parent.mkdir(parents=True)
    target.symlink_to(BLUEPRINTS, target_is_directory=True)
    hass.config.config_dir = str(tmp_path)
    yield target
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )
        await hass.async_block_till_done()
    hass.config.config_dir = config_dir


async def _automation(hass: HomeAssistant, blueprint: str, inputs: dict[str, Any]) -> str:
    """Create an automation from a blueprint; return its entity id."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "under_test",
                "alias": "Under test",
                "use_blueprint": {"path": f"smart_charging/{blueprint}", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get("automation.under_test")
    assert state is not None, "the blueprint did not validate"
    assert state.state == "on"
    return "automation.under_test"


def _device(hass: HomeAssistant, identifier: str) -> str:
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, identifier)})
    assert device is not None
    return device.id


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("blueprint_dir")
async def test_every_blueprint_loads(hass: HomeAssistant) -> None:
    """Each file is a valid automation blueprint with its metadata and input selectors."""
    files = sorted(path.name for path in BLUEPRINTS.glob("*.yaml"))
    assert len(files) >= 5
    domain_blueprints = async_get_blueprints(hass)
    for name in files:
        blueprint = await domain_blueprints.async_get_blueprint(f"smart_charging/{name}")
        assert blueprint.domain == "automation"
        assert blueprint.validate() is None, name
        metadata = blueprint.metadata
        assert metadata["name"].startswith("Smart Charging: ")
        assert metadata["description"]
        assert metadata["source_url"] == SOURCE + name
        assert metadata["homeassistant"]["min_version"] == "2025.4.0"
        assert blueprint.inputs
        for key, spec in blueprint.inputs.items():
            assert spec is not None, f"{name}: {key}"
            assert "selector" in spec, f"{name}: {key}"
            assert spec.get("name"), f"{name}: {key}"


@pytest.mark.usefixtures("blueprint_dir")
async def test_notify_when_charged(
    hass: HomeAssistant, car: Car, freezer: FrozenDateTimeFactory
) -> None:
    """The car taking no power for the settle time, or the session ending, is reported."""
    calls = async_mock_service(hass, "notify", "mobile_app_phone")
    await _automation(
        hass,
        "notify_when_charged.yaml",
        {"status_sensor": STATUS, "notify_action": "notify.mobile_app_phone"},
    )
    await car.report("preparing")
    await car.report("charging")
    await car.report("suspended_ev")
    await _tick(hass, freezer, timedelta(minutes=4))
    assert calls == []  # a short pause is not "charged"
    await car.report("charging")
    await car.report("suspended_ev")
    await _tick(hass, freezer, timedelta(minutes=5, seconds=1))
    assert len(calls) == 1
    assert calls[0].data == {
        "title": "Car charged",
        "message": f"{CHARGER_NAME} has finished charging.",
    }

    # Paused by Smart Charging (e.g. no surplus) is not "charged".
    await car.report("charging")
    await car.report("suspended_evse")
    await _tick(hass, freezer, timedelta(minutes=10))
    assert len(calls) == 1

    # The session stops while charging.
    await car.report("charging")
    await car.report("finishing")
    assert len(calls) == 2


@pytest.mark.usefixtures("blueprint_dir")
async def test_notify_when_the_target_is_reached(hass: HomeAssistant, car: Car) -> None:
    """With the reason sensor, Smart Charging stopping at the target is reported."""
    calls: list[ServiceCall] = async_mock_service(hass, "persistent_notification", "create")
    await _automation(
        hass,
        "notify_when_charged.yaml",
        {"status_sensor": STATUS, "reason_sensor": REASON, "message": "{{ charger }}: full"},
    )
    await hass.services.async_call(
        DOMAIN,
        "set_target",
        {"device_id": _device(hass, "ocpp:CP1"), "soc": 80},
        blocking=True,
    )
    await car.report("charging", soc_pct=60.0)
    assert hass.states.get(REASON).state != "target_reached"
    await car.report("charging", soc_pct=80.0)
    assert hass.states.get(REASON).state == "target_reached"
    assert [call.data for call in calls] == [
        {"title": "Car charged", "message": f"{CHARGER_NAME}: full"}
    ]


@pytest.mark.usefixtures("blueprint_dir")
async def test_notify_not_ready_in_time(
    hass: HomeAssistant, car: Car, freezer: FrozenDateTimeFactory
) -> None:
    """At the check time, a plugged-in car that is not finished is reported."""
    freezer.move_to(_monday(6))
    calls = async_mock_service(hass, "notify", "notify")
    await _automation(
        hass,
        "notify_not_ready_in_time.yaml",
        {
            "status_sensor": STATUS,
            "check_time": "06:30:00",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "notify_action": "notify.notify",
            "extra_actions": [
                {"action": "smart_charging.boost", "data": {"device_id": "{{ charger_device }}"}}
            ],
        },
    )
    await car.report("preparing")
    await car.report("charging")
    await _tick(hass, freezer, timedelta(minutes=30))
    assert [call.data for call in calls] == [
        {
            "title": "Car not charged yet",
            "message": f"{CHARGER_NAME} is not done yet: still charging. "
            "The car may not be ready in time.",
        }
    ]
    assert car.handle.boosting  # the additional action
    car.handle.set_mode(car.handle.mode)
    # Tuesday: the car takes no power any more, so it counts as finished.
    await car.report("suspended_ev")
    await _tick(hass, freezer, timedelta(days=1))
    assert len(calls) == 1


@pytest.mark.usefixtures("blueprint_dir")
async def test_notify_not_ready_in_time_by_state_of_charge(
    hass: HomeAssistant, car: Car, freezer: FrozenDateTimeFactory
) -> None:
    """With the car's battery sensor, the target state of charge decides."""
    freezer.move_to(_saturday(6))
    calls = async_mock_service(hass, "persistent_notification", "create")
    hass.states.async_set("sensor.car_battery", "55", {"device_class": "battery"})
    await _automation(
        hass,
        "notify_not_ready_in_time.yaml",
        {"status_sensor": STATUS, "soc_sensor": "sensor.car_battery", "target_soc": 80},
    )
    await car.report("preparing")
    await car.report("suspended_ev")  # idle, but below the target
    await _tick(hass, freezer, timedelta(minutes=30))
    assert len(calls) == 1
    assert calls[0].data["message"] == (
        f"{CHARGER_NAME} is not done yet: the car takes no power, at 55 %. "
        "The car may not be ready in time."
    )
    hass.states.async_set("sensor.car_battery", "81", {"device_class": "battery"})
    await _tick(hass, freezer, timedelta(days=1))  # Sunday: at the target
    assert len(calls) == 1


@pytest.mark.usefixtures("blueprint_dir")
async def test_notify_when_the_plan_cannot_make_it(
    hass: HomeAssistant, car: Car, freezer: FrozenDateTimeFactory
) -> None:
    """With the Plan sensor, the warning comes as soon as the plan is short, once."""
    freezer.move_to(_monday(1))
    calls = async_mock_service(hass, "notify", "notify")
    await _automation(
        hass,
        "notify_not_ready_in_time.yaml",
        {"status_sensor": STATUS, "plan_sensor": PLAN, "notify_action": "notify.notify"},
    )
    await car.report("preparing")
    handle = car.handle
    handle.set_mode(ChargerMode.SMART)
    handle.target_energy_kwh = 200.0  # far more than fits before the ready-by time
    handle.ready_by = dt_util.now() + timedelta(hours=2)
    await _tick(hass, freezer, timedelta(seconds=10))
    assert hass.states.get(PLAN).state == "target_unreachable"
    assert not calls  # it must hold for a minute
    await _tick(hass, freezer, timedelta(minutes=1))
    assert [call.data for call in calls] == [
        {
            "title": "Car not charged yet",
            "message": f"{CHARGER_NAME} cannot reach the target by the ready-by time. "
            "Charge faster (fast mode or a boost) or choose a later time.",
        }
    ]
    await _tick(hass, freezer, timedelta(minutes=5))
    assert len(calls) == 1  # while it stays short, once


async def _say(hass: HomeAssistant, text: str) -> str:
    result = await conversation.async_converse(hass, text, None, Context(), language="en")
    await hass.async_block_till_done()
    speech: str = result.response.speech["plain"]["speech"]
    return speech


@pytest.mark.usefixtures("blueprint_dir")
async def test_voice_commands(hass: HomeAssistant, charger: MockConfigEntry) -> None:
    """Sentences set the mode and the target through the default conversation agent."""
    for domain in ("homeassistant", "intent", "conversation"):
        assert await async_setup_component(hass, domain, {})
    await _automation(hass, "voice_commands.yaml", {"charger": _device(hass, "ocpp:CP1")})
    handle: ChargerHandle = charger.runtime_data.handle

    assert (
        await _say(hass, "Set charging to solar") == f"OK, {CHARGER_NAME} is set to solar charging."
    )
    assert hass.states.get(MODE).state == "pv"
    assert await _say(hass, "set the charging mode to solar plus minimum") == (
        f"OK, {CHARGER_NAME} is set to solar plus minimum charging."
    )
    assert hass.states.get(MODE).state == "min_pv"
    await _say(hass, "switch charging to fast")
    assert hass.states.get(MODE).state == "fast"
    assert await _say(hass, "set charging to off") == f"OK, charging is off on {CHARGER_NAME}."
    assert hass.states.get(MODE).state == "off"
    assert await _say(hass, "set charging to turbo") == (
        "Sorry, I don't know the charging mode turbo. Say fast, solar, solar plus minimum, "
        "smart or off."
    )
    assert hass.states.get(MODE).state == "off"

    answer = await _say(hass, "Charge the car to 80 percent by 7")
    assert answer == f"OK, {CHARGER_NAME} charges the car to 80 percent by 07:00."
    assert handle.target_soc_pct == 80
    assert handle.ready_by is not None
    assert (handle.ready_by.hour, handle.ready_by.minute) == (7, 0)
    assert hass.states.get(MODE).state == "off"  # the mode is kept by default

    await _say(hass, "charge the car to 90 percent by 6:30 pm")
    assert handle.target_soc_pct == 90
    assert handle.ready_by is not None
    assert (handle.ready_by.hour, handle.ready_by.minute) == (18, 30)
    assert await _say(hass, "charge to 70 percent") == (
        f"OK, {CHARGER_NAME} charges the car to 70 percent."
    )
    assert handle.target_soc_pct == 70
    assert handle.ready_by is not None  # the time said before still holds
    assert (handle.ready_by.hour, handle.ready_by.minute) == (18, 30)
    assert await _say(hass, "charge the car to 150 percent") == (
        "Sorry, the target must be between 1 and 100 percent."
    )
    assert await _say(hass, "charge the car to 80 percent by teatime") == (
        "Sorry, I didn't understand the time teatime."
    )
    assert handle.target_soc_pct == 70


@pytest.mark.usefixtures("blueprint_dir")
async def test_voice_target_can_switch_mode(hass: HomeAssistant, charger: MockConfigEntry) -> None:
    """With "Mode with a target" set, a spoken target also selects that mode."""
    for domain in ("homeassistant", "intent", "conversation"):
        assert await async_setup_component(hass, domain, {})
    await _automation(
        hass,
        "voice_commands.yaml",
        {
            "charger": _device(hass, "ocpp:CP1"),
            "target_sentences": ["top up the car to {soc} percent by {time}"],
            "target_mode": "smart",
        },
    )
    await _say(hass, "top up the car to 80 percent by 7 am")
    assert hass.states.get(MODE).state == "smart"
    assert charger.runtime_data.handle.target_soc_pct == 80


@pytest.mark.usefixtures("blueprint_dir")
async def test_grid_signal_curtailment(
    hass: HomeAssistant, charger: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The limit holds while the signal is on, renewed every minute, and ends with it."""
    freezer.move_to(_monday())
    coordinator = charger.runtime_data.site.coordinator
    hass.states.async_set(SIGNAL, "off")
    automation = await _automation(
        hass,
        "grid_signal_curtailment.yaml",
        {"site": _device(hass, charger.data["site_entry_id"]), "signal": SIGNAL},
    )
    await _tick(hass, freezer, timedelta(minutes=1))
    assert coordinator.grid_limit is None  # nothing while the signal is off

    hass.states.async_set(SIGNAL, "on")
    await hass.async_block_till_done()
    assert coordinator.grid_limit is not None
    assert coordinator.grid_limit.power_w == 4200
    assert coordinator.grid_limit.expires_at == dt_util.now() + timedelta(minutes=5)
    assert coordinator.data.allocation.external_limit_w == 4200

    await _tick(hass, freezer, timedelta(minutes=10))  # renewed every minute
    assert coordinator.grid_limit is not None
    assert coordinator.grid_limit.expires_at > dt_util.now() + timedelta(minutes=3)

    hass.states.async_set(SIGNAL, "unavailable")  # the safe default keeps limiting
    await hass.async_block_till_done()
    await _tick(hass, freezer, timedelta(minutes=10))
    assert coordinator.data.allocation.external_limit_w == 4200

    hass.states.async_set(SIGNAL, "off")
    await hass.async_block_till_done()
    assert coordinator.grid_limit is None
    assert coordinator.data.allocation.external_limit_w is None

    # Home Assistant stops renewing (here: the automation is turned off): the limit lapses.
    hass.states.async_set(SIGNAL, "on")
    await hass.async_block_till_done()
    assert coordinator.data.allocation.external_limit_w == 4200
    await hass.services.async_call(
        "automation", "turn_off", {"entity_id": automation}, blocking=True
    )
    await _tick(hass, freezer, timedelta(minutes=5, seconds=1))
    assert coordinator.grid_limit is None
    assert coordinator.data.allocation.external_limit_w is None


@pytest.mark.usefixtures("blueprint_dir")
async def test_grid_signal_lost_lapses_when_configured(
    hass: HomeAssistant, charger: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """With "Limit while unavailable" off, a lost signal lets the limit lapse."""
    freezer.move_to(_monday())
    coordinator = charger.runtime_data.site.coordinator
    hass.states.async_set(SIGNAL, "on")
    await _automation(
        hass,
        "grid_signal_curtailment.yaml",
        {
            "site": _device(hass, charger.data["site_entry_id"]),
            "signal": SIGNAL,
            "power": 6000,
            "hold_minutes": 3,
            "limit_when_unavailable": False,
        },
    )
    await _tick(hass, freezer, timedelta(minutes=1))  # on at start: the renewal sets it
    assert coordinator.data.allocation.external_limit_w == 6000
    hass.states.async_set(SIGNAL, "unavailable")
    await hass.async_block_till_done()
    await _tick(hass, freezer, timedelta(minutes=2))
    assert coordinator.data.allocation.external_limit_w == 6000
    await _tick(hass, freezer, timedelta(minutes=2))
    assert coordinator.data.allocation.external_limit_w is None


@pytest.mark.usefixtures("blueprint_dir")
async def test_default_mode_on_plug_in(
    hass: HomeAssistant, car: Car, freezer: FrozenDateTimeFactory
) -> None:
    """A plug-in selects the weekday or weekend mode, only within the time window."""
    freezer.move_to(_saturday())
    await _automation(
        hass,
        "default_mode_on_plug_in.yaml",
        {
            "status_sensor": STATUS,
            "weekday_mode": "smart",
            "weekend_mode": "pv",
            "window_start": "08:00:00",
            "window_end": "20:00:00",
        },
    )
    assert hass.states.get(MODE).state == "fast"
    await car.report("preparing")
    assert hass.states.get(MODE).state == "pv"
    await car.report("charging")
    await car.report("available")

    freezer.move_to(_monday())
    await car.report("suspended_ev")
    assert hass.states.get(MODE).state == "smart"
    await car.report("available")

    await hass.services.async_call(
        "select", "select_option", {"entity_id": MODE, "option": "fast"}, blocking=True
    )
    freezer.move_to(_monday(21))
    await car.report("preparing")  # outside the window: left alone
    assert hass.states.get(MODE).state == "fast"


@pytest.mark.usefixtures("blueprint_dir")
async def test_default_mode_all_day_by_default(
    hass: HomeAssistant, car: Car, freezer: FrozenDateTimeFactory
) -> None:
    """With the default window (the same start and end), a late plug-in counts too."""
    freezer.move_to(_monday(23) + timedelta(minutes=30))
    await _automation(hass, "default_mode_on_plug_in.yaml", {"status_sensor": STATUS})
    await car.report("preparing")
    assert hass.states.get(MODE).state == "pv"


class _Calendar(CalendarEntity):
    """A calendar with fixed events."""

    _attr_name = "Work"

    def __init__(self, events: list[CalendarEvent]) -> None:
        self._events = events

    @property
    def event(self) -> CalendarEvent | None:
        return None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        return [
            event
            for event in self._events
            if event.start_datetime_local < end_date and event.end_datetime_local > start_date
        ]


async def _calendar(hass: HomeAssistant, start: datetime) -> None:
    """calendar.work: a trip at ``start``, the dentist two hours later, a holiday."""
    events = [
        CalendarEvent(start=start, end=start + timedelta(hours=8), summary="Trip to Berlin"),
        CalendarEvent(
            start=start + timedelta(hours=2), end=start + timedelta(hours=3), summary="Dentist"
        ),
        CalendarEvent(
            start=start.date() + timedelta(days=1),
            end=start.date() + timedelta(days=2),
            summary="Trip day",
        ),
    ]
    assert await async_setup_component(hass, "calendar", {})
    await hass.data[DATA_COMPONENT].async_add_entities([_Calendar(events)])
    await hass.async_block_till_done()


@pytest.mark.usefixtures("blueprint_dir")
@pytest.mark.parametrize("how", ["boost", "fast"])
async def test_boost_before_departure(
    hass: HomeAssistant, car: Car, freezer: FrozenDateTimeFactory, how: str
) -> None:
    """An hour before a matching event, a plugged-in car is boosted (or set to fast)."""
    boosting, mode = (True, "pv") if how == "boost" else (False, "fast")
    start = _monday(8)
    freezer.move_to(start - timedelta(minutes=70))
    await _calendar(hass, start)
    await hass.services.async_call(
        DOMAIN, "set_mode", {"device_id": _device(hass, "ocpp:CP1"), "mode": "pv"}, blocking=True
    )
    await _automation(
        hass,
        "boost_before_departure.yaml",
        {
            "calendar": "calendar.work",
            "keyword": "trip",
            "status_sensor": STATUS,
            "how": how,
            "boost_duration": {"minutes": 45},
        },
    )
    await car.report("preparing")
    await _tick(hass, freezer, timedelta(minutes=9))
    assert not car.handle.boosting
    await _tick(hass, freezer, timedelta(minutes=1, seconds=1))
    assert car.handle.boosting is boosting
    assert hass.states.get(MODE).state == mode
    if boosting:  # for the boost duration from when it started
        assert car.handle.boost_until == dt_util.now() + timedelta(minutes=45)
    # The dentist does not contain the keyword: nothing happens an hour before it.
    car.handle.set_mode(car.handle.mode)  # ends a boost
    for _ in range(24):
        await _tick(hass, freezer, timedelta(minutes=5))
        assert not car.handle.boosting


@pytest.mark.usefixtures("blueprint_dir")
async def test_no_boost_without_a_car(
    hass: HomeAssistant, car: Car, freezer: FrozenDateTimeFactory
) -> None:
    """No car plugged in, no boost; without a keyword every timed event counts."""
    start = _monday(8)
    freezer.move_to(start - timedelta(minutes=70))
    await _calendar(hass, start)
    await _automation(
        hass,
        "boost_before_departure.yaml",
        {"calendar": "calendar.work", "status_sensor": STATUS, "lead_time": {"minutes": -30}},
    )
    for _ in range(9):  # until 07:35, car away: the trip at 08:00 passes
        await _tick(hass, freezer, timedelta(minutes=5))
        assert not car.handle.boosting
    await car.report("preparing")
    for _ in range(22):  # until 09:25
        await _tick(hass, freezer, timedelta(minutes=5))
        assert not car.handle.boosting
    await _tick(hass, freezer, timedelta(minutes=5, seconds=1))  # the dentist at 10:00
    assert car.handle.boosting
    assert car.handle.boost_until == dt_util.now() + timedelta(hours=1)
    car.handle.set_mode(car.handle.mode)
    for _ in range(60):  # until 00:30 tomorrow: its all-day event is skipped
        await _tick(hass, freezer, timedelta(minutes=15))
        assert not car.handle.boosting
