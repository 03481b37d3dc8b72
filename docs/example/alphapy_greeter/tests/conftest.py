import sys
from pathlib import Path

import pytest

# The example is tested where it stands, without installing it (an installed plugin would
# also be loaded by `alphapy run` and `alphapy demo` on this machine).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@pytest.fixture
def alphapy_plugins():
    from alphapy_greeter import plugin

    return [("greeter", plugin)]
