"""Tests for the config flow: every error ends with a successful retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
import socket
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import (
    CONF_BATTERY_POWER,
    CONF_BATTERY_SIGN,
    CONF_BATTERY_SOC,
    CONF_CONTROL_INTERVAL,
    CONF_GRID_CURRENT_L1,
    CONF_GRID_CURRENT_L2,
    CONF_GRID_CURRENT_L3,
    CONF_GRID_POWER,
    CONF_GRID_SIGN,
    CONF_MAIN_FUSE,
    CONF_MAX_IMPORT,
    CONF_MAX_INPUT_AGE,
    CONF_OCPP_AUTO_ACCEPT,
    CONF_OCPP_CERTFILE,
    CONF_OCPP_ENABLED,
    CONF_OCPP_HOST,
    CONF_OCPP_KEYFILE,
    CONF_OCPP_PASSWORD,
    CONF_OCPP_PORT,
    CONF_PHASES,
    CONF_PRICE,
    CONF_PV_POWER,
    CONF_VOLTAGE,
    DOMAIN,
)

from .conftest import BATTERY, BATTERY_SOC, GRID, L1, L2, L3, PRICE, PV

pytestmark = pytest.mark.usefixtures("site_inputs")

BASE: dict[str, Any] = {
    CONF_NAME: "Home",
    CONF_GRID_POWER: GRID,
    CONF_GRID_SIGN: "import_positive",
    CONF_MAIN_FUSE: 25,
    CONF_PHASES: "3",
    CONF_VOLTAGE: 230,
}


async def _start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return str(result["flow_id"])


async def test_user_flow_creates_site(hass: HomeAssistant) -> None:
    """A complete form creates the site with normalised data."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            **BASE,
            CONF_MAX_IMPORT: 11,
            CONF_PV_POWER: PV,
            CONF_BATTERY_POWER: BATTERY,
            CONF_BATTERY_SIGN: "charge_positive",
            CONF_BATTERY_SOC: BATTERY_SOC,
            CONF_PRICE: PRICE,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home"
    assert result["data"] == {
        CONF_GRID_POWER: GRID,
        CONF_GRID_SIGN: "import_positive",
        CONF_MAIN_FUSE: 25.0,
        CONF_PHASES: 3,
        CONF_VOLTAGE: 230.0,
        CONF_MAX_IMPORT: 11.0,
        CONF_PV_POWER: PV,
        CONF_BATTERY_POWER: BATTERY,
        CONF_BATTERY_SIGN: "charge_positive",
        CONF_BATTERY_SOC: BATTERY_SOC,
        CONF_PRICE: PRICE,
    }
    assert result["result"].unique_id == GRID


async def test_user_flow_phase_currents_only(hass: HomeAssistant) -> None:
    """Per-phase currents alone are a valid grid measurement; the L1 meter is the id."""
    flow_id = await _start(hass)
    user_input = {**BASE, CONF_GRID_CURRENT_L1: L1, CONF_GRID_CURRENT_L2: L2}
    del user_input[CONF_GRID_POWER]
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_GRID_CURRENT_L3: "phase_current_required"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**user_input, CONF_GRID_CURRENT_L3: L3}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == L1


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({CONF_GRID_POWER: None}, CONF_GRID_POWER, "grid_measurement_required"),
        ({CONF_GRID_POWER: "sensor.nope"}, CONF_GRID_POWER, "entity_not_found"),
        ({CONF_GRID_POWER: PRICE}, CONF_GRID_POWER, "unit_not_power"),
        ({CONF_PV_POWER: L1}, CONF_PV_POWER, "unit_not_power"),
        ({CONF_BATTERY_POWER: BATTERY_SOC}, CONF_BATTERY_POWER, "unit_not_power"),
        ({CONF_BATTERY_SOC: GRID}, CONF_BATTERY_SOC, "unit_not_percent"),
        ({CONF_PRICE: "sensor.missing_price"}, CONF_PRICE, "entity_not_found"),
        (
            {CONF_GRID_CURRENT_L1: GRID, CONF_GRID_CURRENT_L2: L2, CONF_GRID_CURRENT_L3: L3},
            CONF_GRID_CURRENT_L1,
            "unit_not_current",
        ),
        (
            {CONF_PHASES: "1", CONF_GRID_CURRENT_L1: L1, CONF_GRID_CURRENT_L2: L2},
            CONF_GRID_CURRENT_L2,
            "phase_not_present",
        ),
        ({CONF_MAX_IMPORT: 0}, CONF_MAX_IMPORT, "max_import_out_of_range"),
    ],
)
async def test_user_flow_errors_then_retry(
    hass: HomeAssistant, change: dict[str, Any], field: str, error: str
) -> None:
    """Each invalid field is reported on that field, and a corrected form succeeds."""
    flow_id = await _start(hass)
    bad = {key: value for key, value in {**BASE, **change}.items() if value is not None}
    result = await hass.config_entries.flow.async_configure(flow_id, bad)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    result = await hass.config_entries.flow.async_configure(flow_id, BASE)
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("field", "value"),
    [(CONF_MAIN_FUSE, 5), (CONF_MAIN_FUSE, 1001), (CONF_VOLTAGE, 90), (CONF_VOLTAGE, 300)],
)
async def test_user_flow_range_errors_then_retry(
    hass: HomeAssistant, field: str, value: float
) -> None:
    """Out-of-range numbers are refused on their field by the selector, then corrected."""
    flow_id = await _start(hass)
    with pytest.raises(InvalidData) as err:
        await hass.config_entries.flow.async_configure(flow_id, {**BASE, field: value})
    assert set(err.value.schema_errors) == {field}
    result = await hass.config_entries.flow.async_configure(flow_id, BASE)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_duplicate_site_is_prevented(
    hass: HomeAssistant, site_entry: MockConfigEntry
) -> None:
    """A second site on the same meter is refused."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, BASE)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_changes_site(hass: HomeAssistant, loaded_site: MockConfigEntry) -> None:
    """Reconfigure shows the current values, validates, and reloads with the new data."""
    result = await loaded_site.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    form = {k: v for k, v in BASE.items() if k != CONF_NAME}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**form, CONF_GRID_POWER: "sensor.gone"}
    )
    assert result["errors"] == {CONF_GRID_POWER: "entity_not_found"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**form, CONF_MAIN_FUSE: 35, CONF_GRID_POWER: PV}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert loaded_site.data[CONF_MAIN_FUSE] == 35.0
    assert loaded_site.unique_id == PV
    assert loaded_site.runtime_data.coordinator.site.fuse_a == 35.0


async def test_reconfigure_refuses_meter_of_other_site(
    hass: HomeAssistant, loaded_site: MockConfigEntry
) -> None:
    """Moving a site onto another site's meter is an error on the meter field."""
    MockConfigEntry(domain=DOMAIN, title="Barn", unique_id=L1, data={}).add_to_hass(hass)
    result = await loaded_site.start_reconfigure_flow(hass)
    form = {k: v for k, v in BASE.items() if k not in (CONF_NAME, CONF_GRID_POWER)}
    three = {CONF_GRID_CURRENT_L1: L1, CONF_GRID_CURRENT_L2: L2, CONF_GRID_CURRENT_L3: L3}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {**form, **three})
    assert result["errors"] == {CONF_GRID_CURRENT_L1: "meter_in_use"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**form, **three, CONF_GRID_POWER: GRID}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


async def _options(hass: HomeAssistant, entry: MockConfigEntry, section: str) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": section}
    )


async def test_options_flow(
    hass: HomeAssistant, loaded_site: MockConfigEntry, unused_tcp_port: int
) -> None:
    """Each group is stored normalised, keeps the others, and applies by reloading."""
    result = await _options(hass, loaded_site, "general")
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_CONTROL_INTERVAL: 5.0, CONF_MAX_INPUT_AGE: 30.0, "margin": 1.5},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    result = await _options(hass, loaded_site, "ocpp")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_OCPP_ENABLED: True,
            CONF_OCPP_HOST: "127.0.0.1",
            CONF_OCPP_PORT: float(unused_tcp_port),
            CONF_OCPP_PASSWORD: "",
            CONF_OCPP_AUTO_ACCEPT: False,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert loaded_site.options == {
        CONF_CONTROL_INTERVAL: 5,
        CONF_MAX_INPUT_AGE: 30,
        "margin": 1.5,
        CONF_OCPP_ENABLED: True,
        CONF_OCPP_HOST: "127.0.0.1",
        CONF_OCPP_PORT: unused_tcp_port,
        CONF_OCPP_AUTO_ACCEPT: False,
    }
    coordinator = loaded_site.runtime_data.coordinator
    assert coordinator.update_interval is not None
    assert coordinator.update_interval.total_seconds() == 5
    assert coordinator.max_input_age.total_seconds() == 30
    assert coordinator.allocator_settings().margin_a == 1.5
    link = loaded_site.runtime_data.ocpp
    assert link is not None
    assert link.server is not None
    assert link.server.port == unused_tcp_port


def _self_signed(tmp_path: Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


async def test_options_flow_errors_then_retry(
    hass: HomeAssistant, loaded_site: MockConfigEntry, tmp_path: Path
) -> None:
    """Bad OCPP settings are reported on their field; a corrected form is accepted."""
    cert, key = _self_signed(tmp_path)
    (tmp_path / "junk.pem").write_text("not a certificate")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        base = {
            CONF_OCPP_ENABLED: True,
            CONF_OCPP_HOST: "127.0.0.1",
            CONF_OCPP_PORT: busy,
            CONF_OCPP_AUTO_ACCEPT: True,
        }
        cases = [
            ({}, {CONF_OCPP_PORT: "port_in_use"}),
            ({CONF_OCPP_PASSWORD: "short"}, {CONF_OCPP_PASSWORD: "password_length"}),
            ({CONF_OCPP_CERTFILE: cert}, {CONF_OCPP_KEYFILE: "tls_pair_required"}),
            ({CONF_OCPP_KEYFILE: key}, {CONF_OCPP_CERTFILE: "tls_pair_required"}),
            (
                {CONF_OCPP_CERTFILE: str(tmp_path / "junk.pem"), CONF_OCPP_KEYFILE: key},
                {CONF_OCPP_CERTFILE: "tls_invalid"},
            ),
        ]
        result = await _options(hass, loaded_site, "ocpp")
        for change, errors in cases:
            result = await hass.config_entries.options.async_configure(
                result["flow_id"], {**base, **change}
            )
            assert result["type"] is FlowResultType.FORM
            assert result["errors"] == {
                **errors,
                **({} if CONF_OCPP_PORT in errors else {CONF_OCPP_PORT: "port_in_use"}),
            }
    # The port is free again; TLS and a password are accepted.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            **base,
            CONF_OCPP_PASSWORD: "a-long-enough-password",
            CONF_OCPP_CERTFILE: cert,
            CONF_OCPP_KEYFILE: key,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    link = loaded_site.runtime_data.ocpp
    assert link.server is not None
    assert link.server.port == busy


async def test_options_flow_ocpp_off(hass: HomeAssistant, loaded_site: MockConfigEntry) -> None:
    """Turning the OCPP server off skips its checks and stops it."""
    result = await _options(hass, loaded_site, "ocpp")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_OCPP_ENABLED: False,
            CONF_OCPP_PORT: 1,
            CONF_OCPP_PASSWORD: "x",
            CONF_OCPP_AUTO_ACCEPT: False,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    link = loaded_site.runtime_data.ocpp
    assert link is not None
    assert link.server is None
