"""Price series and the PV forecast for the planner, read from other integrations.

Parsing is the engine's (``engine/tariffs.py``, ``engine/forecasts.py``); this module
fetches. Entity attributes (Nord Pool, ENTSO-e, Energi Data Service, Octopus, EPEX Spot,
generic lists, Solcast) are read from the state machine every cycle, parsed again only when
the state object changed. Actions (Nord Pool and Tibber in Home Assistant core) and the
Forecast.Solar energy platform are fetched in the background and cached, never inside a
control cycle: a slow price server must not delay a fuse cut. Fetches repeat hourly, and
every 15 minutes from noon while tomorrow's prices are missing; when one brings new data
the site re-plans.

The house-load baseline subtracted from the PV forecast is a constant, or the mean per hour
of day of a power sensor over the recorder's last 7 days.

What cannot be read becomes a problem for a repair issue (``problems``); the planner then
has no prices and charges for readiness. A price entity whose format was never chosen
explicitly (the default "entity" source) and that carries no series at all is not a
problem: it is a plain price sensor, used for session costs only. Session costs take the
current slot's prices too (``session_prices``): the import price of a source other than the
site's price sensor, and the feed-in price.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import (
    CONF_EXPORT_PRICE,
    CONF_EXPORT_PRICE_ENTITY,
    CONF_FIXED_PRICE,
    CONF_FORECAST_SOLAR_ENTRY,
    CONF_HOUSE_LOAD,
    CONF_HOUSE_LOAD_ENTITY,
    CONF_PRICE_AREA,
    CONF_PRICE_CONFIG_ENTRY,
    CONF_PRICE_LIST_ENTITY,
    CONF_PRICE_SOURCE,
    CONF_PV_FORECAST,
    CONF_SOLCAST_ENTITIES,
    CONF_TOU_SCHEDULE,
    DEFAULT_HOUSE_LOAD,
    DOMAIN,
    LOGGER,
)
from .engine.forecasts import ForecastSlot, parse_forecast_solar, parse_solcast
from .engine.plan_model import PriceSlot
from .engine.tariffs import (
    PriceSource,
    TariffError,
    TariffReason,
    currency_of,
    detect_source,
    fixed_price_slots,
    parse_prices,
    time_of_use_slots,
    with_export,
)
from .flow_prices import NORDPOOL_CURRENCIES, ForecastChoice, PriceChoice, parse_schedule
from .inputs import read_price_entity

REFRESH: Final = timedelta(hours=1)
RETRY_TOMORROW: Final = timedelta(minutes=15)
TOMORROW_FROM_HOUR: Final = 12  # day-ahead prices are published around noon (local time)
HOUSE_LOAD_REFRESH: Final = timedelta(hours=6)
HOUSE_LOAD_DAYS: Final = 7
HORIZON: Final = timedelta(days=2)
SOLCAST_ATTRIBUTE: Final = "detailedForecast"
# Octopus Energy publishes today's and tomorrow's rates on two event entities.
OCTOPUS_TODAY: Final = "_current_day_rates"
OCTOPUS_TOMORROW: Final = "_next_day_rates"
UNAVAILABLE: Final = "unavailable"
"""A price action failed (beside the ``TariffReason`` codes: each has its repair text)."""
PROBLEM_REASONS: Final = (*(str(reason) for reason in TariffReason), UNAVAILABLE)
# Sources whose series prices session costs (the entity source's sensor prices them itself).
# Not Nord Pool's action: it gives the day-ahead market price, without VAT and grid fees,
# which is right for choosing hours but far below what a session costs.
SERIES_PRICE_SESSIONS: Final = frozenset(
    {PriceChoice.TIBBER, PriceChoice.FIXED, PriceChoice.TIME_OF_USE}
)


class PriceFeed:
    """The site's price series and PV forecast, kept current for the planner."""

    def __init__(
        self,
        hass: HomeAssistant,
        options: Mapping[str, Any],
        price_entity: str | None,
        on_new_data: Callable[[], None],
    ) -> None:
        """Read the configuration; nothing is fetched before ``async_update``."""
        self._hass = hass
        self._options = options
        self._price_entity = options.get(CONF_PRICE_LIST_ENTITY) or price_entity
        chosen = options.get(CONF_PRICE_SOURCE)
        self._explicit = chosen is not None
        self.choice = PriceChoice(chosen) if chosen is not None else PriceChoice.ENTITY
        self.forecast_choice = ForecastChoice(options.get(CONF_PV_FORECAST, ForecastChoice.NONE))
        self._on_new_data = on_new_data
        self._parsed: dict[str, tuple[State, tuple[Any, ...]]] = {}
        self._fetched: tuple[PriceSlot, ...] = ()
        self._fetched_at: datetime | None = None
        self._forecast_solar: tuple[ForecastSlot, ...] = ()
        self._forecast_at: datetime | None = None
        self._load_profile: dict[int, float] | None = None
        self._load_at: datetime | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.problems: dict[str, dict[str, str]] = {}
        self._fetch_problems: dict[str, dict[str, str]] = {}

    @property
    def tracked_entities(self) -> list[str]:
        """Entities whose changes must re-plan (the price entity is a site input already)."""
        entities = list(self._options.get(CONF_SOLCAST_ENTITIES) or [])
        if listed := self._options.get(CONF_PRICE_LIST_ENTITY):
            entities.append(listed)
        if export := self._options.get(CONF_EXPORT_PRICE_ENTITY):
            entities.append(export)
        for entity_id in (self._price_entity, export):
            entities.extend(companions(entity_id))
        return entities

    # Background fetches ------------------------------------------------------------------

    @callback
    def async_update(self, now: datetime) -> None:
        """Start the background fetches that are due (called every cycle)."""
        if self.choice in (PriceChoice.NORDPOOL, PriceChoice.TIBBER) and self._due(
            self._fetched_at, now, self._has_tomorrow(self._fetched, now)
        ):
            self._fetched_at = now
            self._start(self._async_fetch_prices(now), "prices")
        if self.forecast_choice is ForecastChoice.FORECAST_SOLAR and self._due(
            self._forecast_at, now, complete=True
        ):
            self._forecast_at = now
            self._start(self._async_fetch_forecast_solar(), "forecast")
        load_entity = self._options.get(CONF_HOUSE_LOAD_ENTITY)
        wants_load = load_entity and self.forecast_choice is not ForecastChoice.NONE
        if wants_load and (self._load_at is None or now - self._load_at >= HOUSE_LOAD_REFRESH):
            self._load_at = now
            self._start(self._async_fetch_house_load(str(load_entity), now), "house load")

    @staticmethod
    def _due(last: datetime | None, now: datetime, complete: bool) -> bool:
        if last is None:
            return True
        return now - last >= (REFRESH if complete else RETRY_TOMORROW)

    @staticmethod
    def _has_tomorrow(slots: tuple[PriceSlot, ...], now: datetime) -> bool:
        """Whether the series reaches into tomorrow, or it is too early to expect it."""
        local = dt_util.as_local(now)
        if local.hour < TOMORROW_FROM_HOUR:
            return True
        tomorrow = dt_util.start_of_local_day(local.date() + timedelta(days=1))
        return any(slot.end > tomorrow + timedelta(hours=1) for slot in slots)

    def _start(self, job: Any, name: str) -> None:
        task = self._hass.async_create_background_task(job, f"{DOMAIN} fetch {name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def async_stop(self) -> None:
        """Cancel fetches in flight (the site unloads)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _async_fetch_prices(self, now: datetime) -> None:
        tz = dt_util.get_default_time_zone()
        today = dt_util.as_local(now).date()
        key = self.choice.value
        try:
            if self.choice is PriceChoice.NORDPOOL:
                slots = await self._async_nordpool(today, tz)
            else:
                slots = await self._async_tibber(today, tz)
        except (HomeAssistantError, vol.Invalid, TariffError) as err:
            LOGGER.warning("Prices from %s could not be read: %s", key, err)
            self._fetch_problems[key] = _problem(key, err)
            return
        self._fetch_problems.pop(key, None)
        if slots != self._fetched:
            self._fetched = slots
            self._on_new_data()

    async def _async_nordpool(self, today: date, tz: Any) -> tuple[PriceSlot, ...]:
        """Today's and (once published) tomorrow's day-ahead prices, in our currency.

        The action takes one area as a string; it converts to any currency Nord Pool
        quotes in. Home Assistant counting in another one is a problem, not a guess.
        """
        area = str(self._options.get(CONF_PRICE_AREA, "")).upper()
        currency = self._hass.config.currency.upper()
        if currency not in NORDPOOL_CURRENCIES:
            raise TariffError(
                TariffReason.OTHER_CURRENCY, f"Nord Pool does not quote prices in {currency}"
            )
        slots: list[PriceSlot] = []
        for day in (today, today + timedelta(days=1)):
            data = {
                "config_entry": self._options.get(CONF_PRICE_CONFIG_ENTRY),
                "date": day.isoformat(),
                "areas": area,
                "currency": currency,
            }
            try:
                response = await self._async_call("nordpool", "get_prices_for_date", data)
                slots.extend(parse_prices(PriceSource.NORDPOOL_CORE, response, tz=tz, series=area))
            except (HomeAssistantError, TariffError):
                if day != today:
                    break  # tomorrow is not published yet
                raise
        return tuple(slots)

    async def _async_tibber(self, today: date, tz: Any) -> tuple[PriceSlot, ...]:
        """Today's and (once published) tomorrow's prices (by default it gives today's)."""
        start = dt_util.start_of_local_day(today)
        data = {
            "start": start.isoformat(),
            "end": dt_util.start_of_local_day(today + timedelta(days=2)).isoformat(),
        }
        response = await self._async_call("tibber", "get_prices", data)
        return parse_prices(
            PriceSource.TIBBER, response, tz=tz, series=self._options.get(CONF_PRICE_AREA)
        )

    async def _async_call(self, domain: str, service: str, data: dict[str, Any]) -> Any:
        return await self._hass.services.async_call(
            domain, service, data, blocking=True, return_response=True
        )

    async def _async_fetch_forecast_solar(self) -> None:
        entry_id = str(self._options.get(CONF_FORECAST_SOLAR_ENTRY))
        try:
            forecast = await solar_forecast(self._hass, entry_id)
        except ImportError as err:  # the integration's library is not installed
            self._fetch_problems[entry_id] = _problem("Forecast.Solar", err)
            return
        if forecast is None:
            self._forecast_at = None  # the entry is not loaded (yet): ask again next cycle
            return
        try:
            self._forecast_solar = parse_forecast_solar(forecast["wh_hours"])
        except TariffError as err:
            self._fetch_problems[entry_id] = _problem("Forecast.Solar", err)
            return
        self._fetch_problems.pop(entry_id, None)
        self._on_new_data()

    async def _async_fetch_house_load(self, entity_id: str, now: datetime) -> None:
        from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
            statistics_during_period,
        )
        from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

        start = now - timedelta(days=HOUSE_LOAD_DAYS)
        try:
            stats = await get_instance(self._hass).async_add_executor_job(
                statistics_during_period,
                self._hass,
                start,
                now,
                {entity_id},
                "hour",
                None,
                {"mean"},
            )
        except (KeyError, HomeAssistantError) as err:  # no recorder
            LOGGER.debug("House load history unavailable: %r", err)
            return
        self._load_profile = hourly_profile(stats.get(entity_id, []))
        self._on_new_data()

    # What the planner gets -----------------------------------------------------------------

    def prices(self, now: datetime) -> tuple[PriceSlot, ...]:
        """Import prices (with export prices) from the current slot on; () without any.

        Also refreshes ``problems`` for the series read from entities.
        """
        problems = dict(self._fetch_problems)
        tz = dt_util.get_default_time_zone()
        slots: tuple[PriceSlot, ...] = ()
        try:
            slots = self._import_slots(now, tz)
        except TariffError as err:
            source = self._price_entity or self.choice.value
            problems[source] = _problem(source, err)
        export = self._options.get(CONF_EXPORT_PRICE)
        export_entity = self._options.get(CONF_EXPORT_PRICE_ENTITY)
        if slots and export_entity:
            try:
                slots = with_export(slots, self._series(export_entity, tz, explicit=True))
            except TariffError as err:
                problems[export_entity] = _problem(export_entity, err)
        if slots and export is not None:
            fixed = float(export)
            slots = tuple(
                s if s.export_price is not None else _with_export_price(s, fixed) for s in slots
            )
        self.problems = problems
        return tuple(slot for slot in slots if slot.end > now)

    @property
    def prices_sessions(self) -> bool:
        """Whether the series gives session costs their import price (see ``session_prices``)."""
        return self.choice in SERIES_PRICE_SESSIONS

    def session_prices(
        self, slots: Iterable[PriceSlot], now: datetime
    ) -> tuple[float | None, float | None]:
        """The import and the feed-in price now, for session costs (currency per kWh).

        The import price comes from the series only for Tibber (its prices include taxes),
        a fixed price and time of use (``prices_sessions``); the caller uses it only where
        the site has no price sensor. The feed-in price is the current slot's, else the
        feed-in entity's state (a plain sensor of the current price), else the fixed
        feed-in price; None where none is known.
        """
        slot = next((s for s in slots if s.start <= now < s.end), None)
        import_price = slot.import_price if slot and self.prices_sessions else None
        export = slot.export_price if slot else None
        if export is None and (entity := self._options.get(CONF_EXPORT_PRICE_ENTITY)):
            export = read_price_entity(self._hass, str(entity), self._hass.config.currency)
        if export is None and (fixed := self._options.get(CONF_EXPORT_PRICE)) is not None:
            export = float(fixed)
        return import_price, export

    def _import_slots(self, now: datetime, tz: Any) -> tuple[PriceSlot, ...]:
        start = now - timedelta(hours=1)
        match self.choice:
            case PriceChoice.ENTITY if self._price_entity:
                return self._series(self._price_entity, tz, explicit=self._explicit)
            case PriceChoice.NORDPOOL | PriceChoice.TIBBER:
                return self._fetched
            case PriceChoice.FIXED:
                price = float(self._options[CONF_FIXED_PRICE])
                return fixed_price_slots(price, start, now + HORIZON)
            case PriceChoice.TIME_OF_USE:
                try:
                    schedule = parse_schedule(str(self._options.get(CONF_TOU_SCHEDULE, "")))
                except ValueError:
                    return ()
                return time_of_use_slots(schedule, start, now + HORIZON, tz)
        return ()

    def _series(self, entity_id: str, tz: Any, *, explicit: bool) -> tuple[PriceSlot, ...]:
        """An entity's series, with tomorrow's from its companion entity where there is one."""
        slots = self._entity_series(entity_id, tz, explicit=explicit)
        for companion in companions(entity_id):
            # Tomorrow's event may not have fired yet (unknown): that is no problem. One
            # that cannot be read leaves today's prices as they are.
            try:
                later = self._entity_series(companion, tz, explicit=False)
            except TariffError as err:
                LOGGER.debug("Tomorrow's prices of %s not used: %s", companion, err)
                continue
            if later and slots:
                known = {slot.start for slot in slots}
                merged = [*slots, *(slot for slot in later if slot.start not in known)]
                slots = tuple(sorted(merged, key=lambda slot: slot.start))
        return slots

    def _entity_series(self, entity_id: str, tz: Any, *, explicit: bool) -> tuple[PriceSlot, ...]:
        """An entity's price series (cached per state object); () for a plain sensor."""
        state = self._hass.states.get(entity_id)
        if state is None:
            return ()
        cached = self._parsed.get(entity_id)
        if cached is not None and cached[0] is state:
            return tuple(cached[1])
        attributes = dict(state.attributes)
        source = detect_source(attributes)
        if source is None:
            if explicit and state.state not in ("unavailable", "unknown"):
                raise TariffError(TariffReason.UNRECOGNISED, f"{entity_id}: no known price list")
            return ()
        unit = attributes.get(ATTR_UNIT_OF_MEASUREMENT)
        currency = self._hass.config.currency
        if (theirs := currency_of(unit)) is not None and theirs != currency.upper():
            raise TariffError(
                TariffReason.OTHER_CURRENCY, f"{entity_id}: prices in {theirs}, not {currency}"
            )
        slots = parse_prices(source, attributes, tz=tz, unit=unit)
        self._parsed[entity_id] = (state, slots)
        return slots

    def pv_forecast(self) -> tuple[ForecastSlot, ...]:
        """The PV forecast (kW per period), () without one."""
        if self.forecast_choice is ForecastChoice.FORECAST_SOLAR:
            return self._forecast_solar
        if self.forecast_choice is ForecastChoice.NONE:
            return ()
        tz = dt_util.get_default_time_zone()
        periods: list[ForecastSlot] = []
        for entity_id in self._options.get(CONF_SOLCAST_ENTITIES) or []:
            state = self._hass.states.get(entity_id)
            items = None if state is None else state.attributes.get(SOLCAST_ATTRIBUTE)
            if not items:
                continue
            try:
                periods.extend(parse_solcast(items, tz=tz))
            except TariffError as err:
                self.problems[entity_id] = _problem(entity_id, err)
        return tuple(sorted(set(periods), key=lambda p: p.start))

    def house_load_kw(self, when: datetime) -> float:
        """The expected house load at an instant: its hour's mean, else the constant."""
        if self._load_profile:
            hour = dt_util.as_local(when).hour
            if hour in self._load_profile:
                return self._load_profile[hour] / 1000
        return float(self._options.get(CONF_HOUSE_LOAD, DEFAULT_HOUSE_LOAD)) / 1000


async def solar_forecast(hass: HomeAssistant, entry_id: str) -> Mapping[str, Any] | None:
    """Forecast.Solar's forecast through its energy platform (None: entry not loaded)."""
    from homeassistant.components.forecast_solar.energy import (  # noqa: PLC0415
        async_get_solar_forecast,
    )

    return await async_get_solar_forecast(hass, entry_id)


def hourly_profile(rows: Iterable[Mapping[str, Any]]) -> dict[int, float]:
    """Mean of hourly statistics rows per local hour of day (W)."""
    sums: dict[int, list[float]] = {}
    for row in rows:
        mean, start = row.get("mean"), row.get("start")
        if mean is None or start is None:
            continue
        begin = datetime.fromtimestamp(start, UTC) if isinstance(start, int | float) else start
        sums.setdefault(dt_util.as_local(begin).hour, []).append(float(mean))
    return {hour: sum(values) / len(values) for hour, values in sums.items()}


def companions(entity_id: str | None) -> list[str]:
    """Entities that continue ``entity_id``'s series: Octopus Energy's next-day rates."""
    if entity_id and entity_id.endswith(OCTOPUS_TODAY):
        return [entity_id.removesuffix(OCTOPUS_TODAY) + OCTOPUS_TOMORROW]
    return []


def _with_export_price(slot: PriceSlot, price: float) -> PriceSlot:
    return PriceSlot(slot.start, slot.end, slot.import_price, price)


def _problem(source: str, err: Exception) -> dict[str, str]:
    """A repair issue's placeholders: a parsing error's reason, else "unavailable"."""
    reason = err.reason if isinstance(err, TariffError) else UNAVAILABLE
    return {"source": source, "reason": str(reason)}
