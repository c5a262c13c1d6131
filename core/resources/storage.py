"""Where uploaded files live: ``<data_dir>/uploads/<random name>``, never the client's name.

A file is written before its row is committed, so it is tied to the database transaction:
when the transaction (or the savepoint) that wrote it rolls back, the file is removed again.
Together with a row written only after the file is safely on disk, neither an orphan file nor a
row without its file is left behind by an error.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

UPLOADS_DIR = "uploads"
_STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
_PENDING_KEY = "reseau_pending_files"
_COMMITTED_KEY = "reseau_pending_files_committed"


class StorageError(Exception):
    """The file could not be written (disk full, permissions…); nothing was kept."""


def uploads_dir(data_dir: Path) -> Path:
    """The directory holding every uploaded file."""
    return Path(data_dir) / UPLOADS_DIR


def path_of(data_dir: Path, stored_name: str) -> Path:
    """The path of a stored file; refuses anything but a name this module generated."""
    if not _STORED_NAME.match(stored_name or ""):
        raise ValueError("invalid stored name")
    return uploads_dir(data_dir) / stored_name


def save(db: Session, data_dir: Path, data: bytes) -> str:
    """Write ``data`` under a new random name and return that name.

    The file is written to a temporary name, synced, then renamed, so a reader never sees half
    a file. It is removed again if ``db``'s current transaction rolls back.
    """
    db.connection()  # make sure a transaction is open: the file's fate is tied to it
    directory = uploads_dir(data_dir)
    name = secrets.token_hex(16)
    final = directory / name
    partial = directory / f".{name}.part"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with open(partial, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, final)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise StorageError(str(exc)) from exc
    _remove_on_rollback(db, final)
    return name


def _remove_on_rollback(db: Session, path: Path) -> None:
    """Remember ``path`` with the transaction active now, to remove it if that one rolls back."""
    if _PENDING_KEY not in db.info:
        db.info[_PENDING_KEY] = []
        event.listen(db, "after_commit", _after_commit)
        event.listen(db, "after_transaction_end", _after_transaction_end)
        event.listen(db, "after_soft_rollback", _after_soft_rollback)
    transaction = db.get_nested_transaction() or db.get_transaction()
    db.info[_PENDING_KEY].append((transaction, path))


def _after_commit(db: Session) -> None:
    # also fires when a savepoint is released: only the outermost transaction's end decides
    db.info[_COMMITTED_KEY] = True


def _after_transaction_end(db: Session, transaction: SessionTransaction) -> None:
    committed = db.info.pop(_COMMITTED_KEY, False)
    if transaction.parent is not None:
        return  # a savepoint: its rollback is handled by _after_soft_rollback
    pending = db.info.get(_PENDING_KEY, [])
    db.info[_PENDING_KEY] = []
    if not committed:  # rolled back, or the session closed without committing
        for _transaction, path in pending:
            path.unlink(missing_ok=True)


def _after_soft_rollback(db: Session, previous_transaction: SessionTransaction) -> None:
    """Remove the files written inside a savepoint that just rolled back."""
    kept: list[tuple[Any, Path]] = []
    for transaction, path in db.info.get(_PENDING_KEY, []):
        if _within(transaction, previous_transaction):
            path.unlink(missing_ok=True)
        else:
            kept.append((transaction, path))
    db.info[_PENDING_KEY] = kept


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
