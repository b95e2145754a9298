"""Reading inputs from disk: files and directories (recursive) into ``RawDocument`` records.

This is shell-side I/O, kept out of the pure pipeline. Directories are walked in sorted order
(so ingest order, and with it "earliest" among equal timestamps, is reproducible), skipping hidden
entries and files of unknown type; a file named explicitly is always read and its format sniffed.

A scraped-text file can carry its metadata in a sidecar next to it: ``story.txt`` with
``story.meta.json`` holding ``{"source", "url", "published_at", "language"}``. Flags given on the
command line win over the sidecar.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from broadsheet.errors import BroadsheetError, InvalidField
from broadsheet.model import IngestOptions, QuarantineDraft, RawDocument, Rejected, Stage
from broadsheet.pipeline.extract import format_for_path
from broadsheet.timestamps import parse_timestamp

__all__ = ["SIDECAR_SUFFIX", "InputWalk", "read_file", "walk_inputs"]

SIDECAR_SUFFIX = ".meta.json"
# A sidecar is a few hundred bytes; anything much larger is not one.
_MAX_SIDECAR_BYTES = 64_000
_SIDECAR_FIELDS = frozenset({"source", "url", "published_at", "language"})


@dataclass(slots=True)
class InputWalk:
    """The files found under the given paths, and what was passed over."""

    files: list[Path]
    skipped: list[Path]


def walk_inputs(paths: Sequence[Path]) -> InputWalk:
    """Expand files and directories into the files to ingest, in a stable order."""
    files: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        for root, dirs, names in os.walk(path, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                candidate = Path(root) / name
                if name.startswith(".") or name.endswith(SIDECAR_SUFFIX):
                    continue
                if format_for_path(name) is None:
                    skipped.append(candidate)
                else:
                    files.append(candidate)
    return InputWalk(files=files, skipped=skipped)


def _sidecar_options(path: Path) -> IngestOptions | None:
    sidecar = path.with_name(path.name.rsplit(".", 1)[0] + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return None
    if sidecar.stat().st_size > _MAX_SIDECAR_BYTES:
        raise InvalidField(f"sidecar {sidecar.name}: over {_MAX_SIDECAR_BYTES} bytes")
    try:
        data = json.loads(sidecar.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidField(f"sidecar {sidecar.name}: not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise InvalidField(f"sidecar {sidecar.name}: expected a JSON object")
    unknown = sorted(set(data) - _SIDECAR_FIELDS)
    if unknown:
        raise InvalidField(f"sidecar {sidecar.name}: unknown field(s) {', '.join(unknown)}")
    for key in ("source", "url", "language"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise InvalidField(f"sidecar {sidecar.name}: {key} must be a string")
    published = data.get("published_at")
    return IngestOptions(
        source=data.get("source"),
        url=data.get("url"),
        published_at=parse_timestamp(published, field=f"sidecar {sidecar.name}: published_at")
        if published is not None
        else None,
        language=data.get("language"),
    )


def read_file(
    path: Path, *, options: IngestOptions, max_bytes: int, clock: Callable[[], datetime]
) -> RawDocument | Rejected:
    """Read one file (at most ``max_bytes`` of it) as a raw document.

    A file over the cap keeps its first ``max_bytes`` and is marked truncated, so the pipeline
    quarantines it with the evidence kept; a broken sidecar is recorded in ``options.problem``.
    A file that cannot be read at all is ``Rejected``.
    """
    # Lexically absolute: "." and ".." folded, a symlink kept under the name it was given.
    origin = os.path.abspath(path)  # noqa: PTH100
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            data = handle.read(max_bytes)
            truncated = bool(handle.read(1))
    except OSError as exc:
        problem = QuarantineDraft(
            stage=Stage.READ,
            code="input_unreadable",
            error_class=type(exc).__name__,
            message=f"cannot read {origin}: {exc.strerror or exc}",
        )
        return Rejected(origin=origin, problem=problem)
    sha256 = hashlib.sha256(data).hexdigest()
    if truncated:
        # The whole file is not hashed (it may be gigabytes): its prefix and size identify it.
        sha256 = hashlib.sha256(data + f":truncated:{size}".encode()).hexdigest()
    try:
        sidecar = _sidecar_options(path)
    except BroadsheetError as exc:
        # Kept with the raw document, so the pipeline quarantines it now and on every reprocess.
        sidecar = IngestOptions(problem=exc.message)
    return RawDocument(
        data=data,
        fetched_at=clock(),
        format=format_for_path(origin),
        origin=origin,
        options=options.merged_over(sidecar) if sidecar else options,
        size_bytes=max(size, len(data)),
        truncated=truncated,
        sha256=sha256,
    )


def iter_raws(
    files: Sequence[Path],
    *,
    options: IngestOptions,
    max_bytes: int,
    clock: Callable[[], datetime],
) -> Iterator[RawDocument | Rejected]:
    """Read ``files`` lazily, one at a time (memory stays at one file's size)."""
    for path in files:
        yield read_file(path, options=options, max_bytes=max_bytes, clock=clock)
