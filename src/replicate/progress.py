"""Progress that a notebook run by papermill shows on the terminal that started it: one line per
finished step (an epoch, a member's probes), written to the kernel's own stderr, which is that
terminal's, so the executed page keeps clean outputs. Outside a kernel tqdm's bars do the job."""

from __future__ import annotations

import sys


def in_kernel() -> bool:
    """Whether this runs inside a Jupyter kernel (its sys.stderr is the notebook's, not the process's)."""
    return sys.__stderr__ is not None and sys.stderr is not sys.__stderr__


def terminal(message: str) -> None:
    """Print ``message`` on the terminal that started the kernel (nothing outside a kernel)."""
    if in_kernel():
        print(message, file=sys.__stderr__, flush=True)
