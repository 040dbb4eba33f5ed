"""Run the ``release_actions`` package of this checkout: ``python -I scripts/entry.py COMMAND …``.

The actions call this with the interpreter the bootstrap chose (a venv made from
one runtime lock, or the base interpreter where a command needs nothing beyond
the standard library). Under ``-I`` neither the caller's ``PYTHONPATH`` nor the
working directory is on ``sys.path``: only this folder and that interpreter's own.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from release_actions.cli import main

sys.exit(main())
