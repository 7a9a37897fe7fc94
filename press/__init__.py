"""press: a self-hosted press office for UK public-sector communications teams."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> "Flask":
    """Build the press office app (press.factory does the work).

    Importing the package loads nothing else, so a small process such as the worker supervisor can use
    its modules without carrying Flask, SQLAlchemy and every extension.
    """
    from press.factory import create_app as build

    return build(test_config)
