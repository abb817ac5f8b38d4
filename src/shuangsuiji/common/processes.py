"""Whether a background job's process still runs (the import and record jobs' markers)."""

import os


def pid_alive(pid: int | None) -> bool:
    """True while a process with this id exists on this machine (signal 0 checks, sends nothing)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
