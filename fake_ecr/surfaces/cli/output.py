"""What the ``fake-ecr`` commands print to stdout, through ``say``: a reader that went away is no error.

Standard library only: every command imports it.
"""

from __future__ import annotations

import os
import sys


def say(*lines: str) -> None:
    """Print to stdout; a reader that went away (``fake-ecr serve | head -1``) is not an error.

    Whatever is printed later goes nowhere: stdout is pointed at /dev/null, so neither this nor the
    interpreter's flush at exit fails again.
    """
    if sys.stdout is None:  # started with stdout closed
        return
    try:
        for line in lines:
            print(line)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
