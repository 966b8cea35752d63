"""``python -m fake_ecr.surfaces.cli``: the ``fake-ecr`` command, for a Python without the console script.

Imports only ``fake_ecr.surfaces.cli``.
"""

import sys

from fake_ecr.surfaces.cli import main

if __name__ == "__main__":  # importing the module (as tests that import every module do) runs nothing
    sys.exit(main())
