"""Journeys through the press office in headless Chromium, with axe-core accessibility checks."""
