"""Metering: a proxied request's money (hold, settle, release) and its record."""
