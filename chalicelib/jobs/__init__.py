"""Scheduled and stream handlers: thin, like the views."""
