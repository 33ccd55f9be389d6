"""Reading the apps' HTML readouts back in tests: their tables as rows of plain-text cells."""

from __future__ import annotations

import re
from html import unescape


def readout_rows(html: str) -> dict[str, list[str]]:
    """Each table row of a readout by its first cell: the row's other cells as plain text."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html):
        cells = [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        rows[cells[0]] = cells[1:]
    return rows
