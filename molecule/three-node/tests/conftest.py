"""Fixtures of the three-node checks: a board of measured figures, printed at the end of the run (also without -s)."""

import pytest

FIGURES = {}


def pytest_terminal_summary(terminalreporter):
    for title, lines in FIGURES.items():
        terminalreporter.write_sep("-", title)
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def figures():
    """figures(title, lines): put a block of measured figures into the end-of-run summary."""

    def record(title, lines):
        FIGURES[title] = list(lines)

    return record
