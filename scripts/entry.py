"""Run the ``release_actions`` package of this checkout: ``python -I -S scripts/entry.py COMMAND …``.

The actions call this with the interpreter the bootstrap chose (a venv made from
one runtime lock, or the base interpreter where a command needs nothing beyond
the standard library). Under ``-I`` neither the caller's ``PYTHONPATH`` nor the
working directory is on ``sys.path``; under ``-S`` no site-packages either (nor
their ``.pth`` start-up code): only this folder, the standard library and, in a
venv, the venv's own packages, added here.
"""

import os
import sys

# A runtime's venv (-S skips the site module that would find it): its packages, nothing else.
venv = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
if os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
    import site
    import sysconfig

    where = {"base": venv, "platbase": venv}
    for kind in dict.fromkeys(("purelib", "platlib")):
        site.addsitedir(sysconfig.get_path(kind, vars=where))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from release_actions.cli import main  # noqa: E402 (after the path is set)

sys.exit(main())
