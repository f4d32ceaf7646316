"""Reliability tests: input fuzzing and fault injection through Home Assistant."""
