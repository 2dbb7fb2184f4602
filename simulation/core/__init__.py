"""The engine core: parameters, scenario, presets, world, random streams, engine, metrics and the API."""
