"""Tests of the input boundary (simulation.inputs) and every entry point that uses it."""
