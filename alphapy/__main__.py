"""``python -m alphapy``: the same as the ``alphapy`` command."""

import sys

from alphapy.cli import main

sys.exit(main())
