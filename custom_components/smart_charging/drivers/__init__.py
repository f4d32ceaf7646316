"""Charger drivers: async I/O to chargers behind one small interface (no Home Assistant)."""
