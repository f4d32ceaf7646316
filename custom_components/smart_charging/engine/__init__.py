"""Pure smart-charging engine: standard library only, no Home Assistant, no I/O."""
