"""Which rows a page reads, from which end (admin_app/util/listing.py)."""

from __future__ import annotations

import pytest

from admin_app.util.listing import PageWindow, page_window


@pytest.mark.parametrize(
    ("page", "rows", "window"),
    [
        (0, 45, PageWindow(0, 20, from_end=False)),
        (1, 45, PageWindow(20, 20, from_end=False)),  # starts before the middle
        (2, 45, PageWindow(0, 5, from_end=True)),  # the last 5 rows
        (3, 45, PageWindow(60, 20, from_end=False)),  # beyond the end: empty, as before
        (49_999, 1_000_000, PageWindow(0, 20, from_end=True)),
        (49_998, 1_000_000, PageWindow(20, 20, from_end=True)),
        (25_000, 1_000_000, PageWindow(500_000, 20, from_end=False)),  # the middle
        (25_001, 1_000_000, PageWindow(499_960, 20, from_end=True)),
    ],
)
def test_a_page_in_the_second_half_is_read_from_the_end(page, rows, window):
    assert page_window(page, 20, rows) == window


def test_a_page_past_an_estimated_count_shows_the_last_rows():
    """The estimate may be short of the true count: the pager's last page, or one past it,
    reads the final rows from the end instead of skipping millions of rows to find none."""
    assert page_window(150_000, 20, 2_999_000, estimated=True) == PageWindow(0, 20, from_end=True)
    assert page_window(150_000, 20, 2_999_000) == PageWindow(3_000_000, 20, from_end=False)


def test_a_list_without_pages_reads_everything_from_the_start():
    assert page_window(0, 0, 1_000) == PageWindow(0, 0, from_end=False)
