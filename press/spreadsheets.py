"""CSV cells that spreadsheets open as text, never as formulas (CSV injection)."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A cell Excel shows as text rather than running it as a formula."""
    # Spreadsheets skip leading spaces before deciding a cell is a formula, so look past them too.
    if value.startswith(FORMULA_START) or value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value
