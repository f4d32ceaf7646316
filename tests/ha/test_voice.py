"""Voice: Home Assistant's own conversation agent drives the mode switches by name."""

from __future__ import annotations

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import device_registry as dr, intent
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import DOMAIN

from .test_ocpp import charger_entry

MODE = "select.acme_wallbox_11_cp1_mode"
SOLAR = "switch.acme_wallbox_11_cp1_solar_charging"
CHARGING = "switch.acme_wallbox_11_cp1_charging"


@pytest.fixture
async def assist(hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry) -> None:
    """A loaded charger, with Assist (the default conversation agent) set up."""
    charger = charger_entry(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert charger.state is ConfigEntryState.LOADED
    for domain in ("homeassistant", "intent", "conversation"):
        assert await async_setup_component(hass, domain, {})
    await hass.async_block_till_done()


async def _say(hass: HomeAssistant, text: str) -> conversation.ConversationResult:
    result = await conversation.async_converse(hass, text, None, Context(), language="en")
    await hass.async_block_till_done()
    return result


@pytest.mark.usefixtures("assist")
async def test_turn_on_solar_charging(hass: HomeAssistant) -> None:
    """ "Turn on … solar charging" is the built-in HassTurnOn on the exposed switch."""
    # The mode switches are switches: exposed to Assist by default, nothing to set up.
    assert async_should_expose(hass, conversation.DOMAIN, SOLAR)
    assert hass.states.get(MODE).state == "fast"
    result = await _say(hass, "turn on acme wallbox 11 (CP1) solar charging")
    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE
    assert [target.id for target in result.response.success_results] == [SOLAR]
    assert hass.states.get(MODE).state == "pv"
    assert hass.states.get(SOLAR).state == "on"


@pytest.mark.usefixtures("assist")
async def test_renamed_charger(hass: HomeAssistant, device_registry: dr.DeviceRegistry) -> None:
    """A charger renamed to something easy to say is addressed by its new name."""
    device = device_registry.async_get_device(identifiers={(DOMAIN, "ocpp:CP1")})
    assert device is not None
    device_registry.async_update_device(device.id, name_by_user="Garage")
    await hass.async_block_till_done()
    assert hass.states.get(SOLAR).attributes["friendly_name"] == "Garage Solar charging"
    # The sentences the README lists, in turn.
    for sentence, mode in (
        ("Turn on garage solar charging", "pv"),
        ("turn on the garage solar plus minimum", "min_pv"),
        ("Turn on garage smart charging", "smart"),
        ("turn on garage fast charging", "fast"),
        ("Turn off garage charging", "off"),
        ("Turn on garage charging", "fast"),  # back to the last mode
        ("turn off garage fast charging", "off"),
    ):
        result = await _say(hass, sentence)
        assert result.response.response_type is intent.IntentResponseType.ACTION_DONE, sentence
        assert hass.states.get(MODE).state == mode, sentence


@pytest.mark.usefixtures("assist")
async def test_turn_off_charging(hass: HomeAssistant) -> None:
    """ "Turn off … charging" selects the off mode."""
    result = await _say(hass, "turn off acme wallbox 11 (CP1) charging")
    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE
    assert hass.states.get(MODE).state == "off"
    assert hass.states.get(CHARGING).state == "off"
