"""A tool's description and its parameters' descriptions from Google, NumPy and Sphinx docstrings."""

from __future__ import annotations

import pytest

from chi_llm.application.tools.docstrings import read_docstring

GOOGLE = """Get the weather.

    It reads a public forecast.

    Args:
        city (str): The city
            to look at.
        days: How many days.
        **options: Ignored.

    Returns:
        str: the forecast, not a parameter: here.
    """

NUMPY = """Get the weather.

    Parameters
    ----------
    city : str
        The city name.
    days : int, optional
        How many
        days.

    Returns
    -------
    str
        the forecast
    """

SPHINX = """Get the weather.

    :param str city: The city.
        More on it.
    :param days: Days.
    :returns: the forecast
    :rtype: str
    """


@pytest.mark.parametrize(
    ("doc", "description", "params"),
    [
        (
            GOOGLE,
            "Get the weather.\n\nIt reads a public forecast.",
            {"city": "The city to look at.", "days": "How many days.", "options": "Ignored."},
        ),
        (NUMPY, "Get the weather.", {"city": "The city name.", "days": "How many days."}),
        (SPHINX, "Get the weather.", {"city": "The city. More on it.", "days": "Days."}),
        (None, "", {}),
        ("Just a line.", "Just a line.", {}),
        ("Args:\n    x: only args", "", {"x": "only args"}),
    ],
    ids=["google", "numpy", "sphinx", "none", "one-line", "no-description"],
)
def test_each_style_gives_the_description_and_each_parameter(
    doc: str | None, description: str, params: dict[str, str]
) -> None:
    assert read_docstring(doc) == (description, params)


def test_a_word_like_a_section_inside_the_text_stays_text() -> None:
    doc = "Compare two values.\n\nNote the order matters\nReturns nothing special here"
    assert read_docstring(doc) == (doc, {})
