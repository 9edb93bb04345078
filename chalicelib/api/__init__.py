"""Chalice blueprints: parse, call one service, render."""
