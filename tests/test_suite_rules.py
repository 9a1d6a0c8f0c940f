"""Rules the test suite keeps about itself, so a test cannot hide a failure."""

from __future__ import annotations

import shutil
from pathlib import Path

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).with_name("conftest.py")


def test_a_test_using_chromium_without_the_browser_marker_is_refused(pytester):
    shutil.copy(CONFTEST, pytester.path / "conftest.py")
    pytester.makeini("[pytest]\nmarkers =\n    browser: drives Chromium\n    shared: reads ../shared\n")
    pytester.makepyfile(test_x="def test_unmarked(chromium):\n    pass\n")
    result = pytester.runpytest_subprocess("--co", "-q", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*chromium fixture without @pytest.mark.browser*test_unmarked*"])


def test_the_same_test_with_the_marker_is_collected(pytester):
    shutil.copy(CONFTEST, pytester.path / "conftest.py")
    pytester.makeini("[pytest]\nmarkers =\n    browser: drives Chromium\n    shared: reads ../shared\n")
    pytester.makepyfile(test_x="import pytest\n\n@pytest.mark.browser\ndef test_marked(chromium):\n    pass\n")
    result = pytester.runpytest_subprocess("--co", "-q", "-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*test_marked*"])
