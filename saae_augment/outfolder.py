"""One output policy for every command that writes a folder, and one writer per folder.

Why: a user's folder is never ours to replace. Every writing command claims its output folder
through `claim_output()`, which

- refuses a path that is a file, or lies under one, or cannot be created, in one line;
- holds an exclusive OS lock (`filelock`) for the whole run, so a second writer is refused with
  the holder's pid instead of interleaving rows or metrics with the first;
- refuses a folder that already holds something, unless the command resumes (its own state is
  then checked by the command) or `--overwrite` is given;
- with `--overwrite`, removes only what saae-augment wrote there, as the folder's ledger lists
  it, and refuses (changing nothing) when the folder holds anything the ledger does not list.

The ledger `.saae-output.json` (one per lock: shards of one synthesis each have their own, so
they can share a folder) is written before the first output file, so even a run killed at once
leaves a folder that `--overwrite` may clear.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import shutil
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import filelock

from saae_augment._version import __version__
from saae_augment.atomicio import write_text_atomic
from saae_augment.errors import UsageError

LOCK_PREFIX = ".saae-lock"
LEDGER_PREFIX = ".saae-output"
MAX_NAMES_SHOWN = 5


def ledger_name(suffix: str = "") -> str:
    """The ledger's file name for a command's suffix (shards keep one each)."""
    return f"{LEDGER_PREFIX}{suffix}.json"


def is_control_file(name: str) -> bool:
    """Our lock and ledger files, and our temporary files (`.NAME.PID.tmp`, left by a crash
    mid-write): never data, never foreign."""
    return name.startswith((LOCK_PREFIX, LEDGER_PREFIX)) or (name.startswith(".") and name.endswith(".tmp"))


@dataclass
class Ledger:
    """What one claim wrote into a folder: top-level names or patterns, and who wrote them."""

    command: str
    entries: list[str]
    pid: int | None = None
    host: str | None = None
    suffix: str = ""

    def owns(self, name: str) -> bool:
        """Whether `name` is listed, so --overwrite may remove it."""
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.entries)


def read_ledgers(folder: Path) -> dict[str, Ledger]:
    """Every ledger in `folder`, by suffix; an unreadable one counts as owning nothing."""
    found: dict[str, Ledger] = {}
    for path in folder.glob(f"{LEDGER_PREFIX}*.json"):
        suffix = path.name[len(LEDGER_PREFIX) : -len(".json")]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = [
                str(e) for e in data["entries"] if isinstance(e, str) and "/" not in e and e not in ("", ".", "..")
            ]
            pid = data.get("pid")
            found[suffix] = Ledger(
                str(data["command"]), entries, pid if isinstance(pid, int) else None, data.get("host"), suffix
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(sorted(names)[:MAX_NAMES_SHOWN])
    more = len(names) - MAX_NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def prepare_folder(path: Path, flag: str = "--out") -> None:
    """Create `path` (and parents), or one line saying why it cannot be a folder."""
    if "\0" in str(path):
        raise UsageError(f"{flag} {str(path)!r} holds a NUL byte; give a folder path")
    try:
        _prepare(path, flag)
    except OSError as exc:  # a name too long, a loop of symlinks, ...
        raise UsageError(f"cannot use {flag} {path} ({exc.strerror or exc}); choose another folder") from None


def _prepare(path: Path, flag: str) -> None:
    for p in [path, *path.parents]:
        if p.exists() and not p.is_dir():
            where = "is a file" if p == path else f"lies under {p}, which is a file"
            raise UsageError(f"{flag} {path} {where}; give a folder path")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create {flag} {path} ({exc.strerror or exc}); choose a folder you can write to"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        read_only = hasattr(os, "statvfs") and bool(os.statvfs(path).f_flag & os.ST_RDONLY)
        why = "read-only file system" if read_only else "permission denied"
        raise UsageError(f"cannot write to {flag} {path} ({why}); choose a folder you can write to")


def _missing_folders(path: Path) -> list[Path]:
    """The folders `prepare_folder` will create, deepest first (none if the path is unusable)."""
    try:
        return [p for p in [path, *path.parents] if not p.exists()]
    except (OSError, ValueError):
        return []


def _remove(path: Path) -> None:
    """Remove one entry without following a symlink out of the folder."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


@dataclass
class OutputFolder:
    """A claimed folder: locked for this process until the claim's `with` block ends."""

    path: Path
    command: str
    suffix: str
    entries: list[str]
    lock: filelock.BaseFileLock = field(repr=False)
    removed: list[str] = field(default_factory=list)
    owned_before: bool = False  # this claim's ledger was already there: an earlier run of ours

    def write_ledger(self, status: str = "running") -> None:
        """Write the ledger before the first output file, so a crash leaves a folder we can claim again."""
        record: dict[str, Any] = {
            "tool": "saae-augment",
            "version": __version__,
            "command": self.command,
            "entries": self.entries,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "status": status,
            "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        write_text_atomic(self.path / ledger_name(self.suffix), json.dumps(record, indent=2) + "\n")


def _acquire(path: Path, suffix: str, flag: str) -> filelock.BaseFileLock:
    lock = filelock.FileLock(str(path / f"{LOCK_PREFIX}{suffix}"))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        holder = read_ledgers(path).get(suffix)
        who = f"saae-augment {holder.command}, pid {holder.pid}" if holder and holder.pid else "another process"
        raise UsageError(f"{flag} {path} is in use by {who}; wait for it to finish, or choose another {flag}") from None
    except OSError as exc:
        raise UsageError(
            f"cannot write to {flag} {path} ({exc.strerror or exc}); choose a folder you can write to"
        ) from None
    return lock


@contextlib.contextmanager
def claim_output(
    path: str | Path,
    command: str,
    entries: Sequence[str],
    *,
    resume: bool = False,
    overwrite: bool = False,
    suffix: str = "",
    siblings: Callable[[Ledger], bool] | None = None,
    shared: Sequence[str] = (),
    flag: str = "--out",
    resume_hint: str = "",
    adopt_later: bool = False,
) -> Iterator[OutputFolder]:
    """Lock `path` for `command` and make sure writing there loses nothing (see the module doc).

    `entries`: the top-level names (or patterns) the command writes. `resume`: the command
    continues its own earlier output (names matching `entries` are then its own; the command
    checks they really are). `siblings(ledger)`: other claims that may share the folder (shards
    of one synthesis); their files neither block nor get removed. `shared`: names (patterns) that
    several claims write into together (the shards' images/ folder, the shard files a merge reads
    in place): they neither block nor get removed. `adopt_later`: when resuming a folder this
    claim has no ledger for yet, the command writes it (`folder.write_ledger()`) once it has
    checked that the folder really holds its own output.
    """
    path = Path(path)
    created = _missing_folders(path)
    prepare_folder(path, flag)
    had_lock = (path / f"{LOCK_PREFIX}{suffix}").exists()
    lock = _acquire(path, suffix, flag)
    had_ledger = (path / ledger_name(suffix)).exists()
    try:
        folder = OutputFolder(path, command, suffix, list(entries), lock)
        ledgers = read_ledgers(path)
        folder.owned_before = suffix in ledgers and ledgers[suffix].command == command
        names = [p.name for p in path.iterdir() if not is_control_file(p.name)]
        own = ledgers.get(suffix)
        others = [led for s, led in ledgers.items() if s != suffix]
        sibling_ledgers = [led for led in others if siblings is not None and siblings(led)]

        def is_shared(name: str) -> bool:
            return any(fnmatch.fnmatchcase(name, p) for p in shared) or any(led.owns(name) for led in sibling_ledgers)

        def listed(name: str) -> bool:
            if is_shared(name) or any(led.owns(name) for led in ledgers.values()):
                return True
            return resume and any(fnmatch.fnmatchcase(name, p) for p in entries)

        foreign = [n for n in names if not listed(n)]
        if foreign:
            raise UsageError(
                f"{flag} {path} holds files saae-augment did not write ({_names(foreign)}); they are never "
                f"replaced: choose an empty or new {flag}"
            )
        blocking = [n for n in names if not is_shared(n)]
        if blocking and not resume:
            if not overwrite:
                what = f"output of saae-augment {own.command}" if own else "saae-augment output"
                raise UsageError(
                    f"{flag} {path} already holds {what} ({_names(blocking)}); use --overwrite to replace it"
                    f"{resume_hint}, or another {flag}"
                )
            for name in blocking:
                _remove(path / name)
                folder.removed.append(name)
            for other_suffix, led in ledgers.items():
                if led not in sibling_ledgers:
                    (path / ledger_name(other_suffix)).unlink(missing_ok=True)
        if not (adopt_later and resume and own is None):
            folder.write_ledger()
        yield folder
    except BaseException:
        _undo_claim(path, suffix, created, had_lock, had_ledger)
        raise
    finally:
        lock.release()


def _undo_claim(path: Path, suffix: str, created: list[Path], had_lock: bool, had_ledger: bool) -> None:
    """A command that was refused, or failed before writing anything, leaves no trace: no lock
    or ledger file in a folder that had none, no folder it created. Output it did write stays
    listed in its ledger, so that --overwrite or --resume can deal with it."""
    lock_file, ledger_file = path / f"{LOCK_PREFIX}{suffix}", path / ledger_name(suffix)
    try:
        has_output = any(not is_control_file(p.name) for p in path.iterdir())
        if has_output and ledger_file.exists():
            return
        if not has_output and not had_ledger:
            ledger_file.unlink(missing_ok=True)
        if not had_lock:
            lock_file.unlink(missing_ok=True)
        if not has_output and path in created:
            for p in created:  # the folder, then any parents this claim made
                p.rmdir()
    except OSError:
        pass  # best effort: the error being raised is the one the user needs
