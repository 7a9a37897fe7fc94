"""Bounces: reading what comes back to the signed bounce addresses, and what it does to deliveries and contacts."""

from flask import Flask


def init_app(app: Flask) -> None:  # noqa: ARG001 - the area has no pages yet; its tables come with its models
    from press.bounces import models  # noqa: F401
