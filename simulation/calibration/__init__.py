"""Calibration to a business's own figures, event logs and orders exports, and the published evidence."""
