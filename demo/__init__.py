"""The demo site behind ``scripts/develop``: simulated house, solar, prices and chargers.

``demo.run`` starts Home Assistant with the integration from this tree (``demo.children``
runs and stops the processes), onboards it and adds the site and both chargers through
the real config flows (``demo.provision`` over ``demo.hass_api``), then runs the
simulators, each a process of its own:

- ``demo.site_runner``: the meter (house load, solar, the chargers' draw) and the price
  sensor, posted to Home Assistant's REST API;
- ``demo.ocpp_charger``: an OCPP 1.6J charge point with a car, a client of the
  integration's central system (its state in ``demo.ocpp_station``);
- ``demo.modbus_charger``: a Modbus TCP charger (Vestel EVC04 register map) with a car.

``demo.check`` is ``scripts/develop --check``; ``demo.screenshot`` renews docs/demo.png.
The models (``ev``, ``site``, ``profiles``) are pure functions of explicit times, so
``tests/demo`` tests them without a clock.
"""
