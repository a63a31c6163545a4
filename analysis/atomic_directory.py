"""A directory that appears whole or not at all (the report, a validation
case): filled in a temporary sibling, which replaces the target only once
complete; the old target is moved aside first, so it is never half-written."""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def written_atomically(target):
    """Yields a temporary directory beside `target` to fill. When the block
    ends normally it replaces `target` (whatever was there); when it raises,
    it is removed and `target` is left as it was."""
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield staging
        os.chmod(staging, 0o755)
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.rename(target, old / target.name)
        os.rename(staging, target)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
