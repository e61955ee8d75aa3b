"""The scoring pack: the runtime form of a model, and refusing one we cannot trust.

``<name>.pack`` beside ``<name>.skops`` and the card ``<name>.json``. One file,
no pickle, read without scikit-learn:

    b"WARNPACK"  8-byte little-endian header length  header (JSON, UTF-8)  body

The header names the model version, labels, thresholds, how many calibrated
classifiers each label averages, the explanation filter, the feature settings,
and where each array lies in the body (dtype, shape, offset), with the body's
length and sha256. The body holds the arrays, each 64-byte aligned: ``words``
and ``chars`` (the vocabularies, UTF-8 terms in column order, one per line),
``idf`` (float32, word columns then character columns), ``coef`` (float64,
columns x labels*members), ``intercept``, ``slope`` and ``offset`` (float64,
labels*members, the logistic regressions and their sigmoid calibrations).

The card records the file's sha256; loading checks the body against the header
(a changed or truncated file), the version against the card's, and the file's
sha256 against the card's. The skops file stays what ``warning train``
reproduces; the pack is derived from it (``warning train --pack-only`` rebuilds
it from a verified skops file).

Standard library only: reading and verifying a pack needs no numpy (the scorer
turns the body into arrays); writing one imports numpy when it is called.
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import resources
from ..errors import ModelError
from . import LABELS

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "instability"
MAGIC = b"WARNPACK"
#: The layout this code reads and writes; a pack of another format is refused.
FORMAT = 1
_ALIGN = 64
_LENGTH = struct.Struct("<Q")

RETRAIN = "run `warning train` to rebuild the model for this installation"


def default_path() -> Path:
    """The shipped pack (inside the installed package, or the checkout's models/)."""
    return resources.bundled("models") / f"{MODEL_NAME}.pack"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_card(path: Path) -> dict[str, Any]:
    """The card beside a model file (``<name>.json``)."""
    card_path = path.with_suffix(".json")
    try:
        card: dict[str, Any] = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"no model card {card_path} beside {path.name}", RETRAIN) from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"unreadable model card {card_path}: {exc}", RETRAIN) from None
    return card


def rebuild_hint(path: Path) -> str:
    """How to make a good pack again for the model at ``path``."""
    shipped = path.parent == resources.bundled("models") and path.stem == MODEL_NAME
    out = "" if shipped else f" --out {path.with_suffix('')}"
    return (
        f"rebuild it from {path.with_suffix('.skops').name} with "
        f"`warning train --pack-only{out}`, or {RETRAIN}"
    )


# --- the running model ----------------------------------------------------------------

#: How an operator returns to the shipped model.
GO_BACK = "delete {} to score with the shipped model"


def running_path() -> Path:
    """The pack a deployment scores with: its own model when it has one, else the shipped.

    Its own is ``<state directory>/models/instability.pack``, which ``warning train
    --with-feedback`` writes only when it is no worse than the model it replaces. Such
    a model names the shipped model it was trained beside (its card's
    ``feedback.shipped``): after an upgrade that ships another one it is set aside, and
    the log says so, until it is trained again; so an upgrade's model (and features)
    always take effect.
    """
    shipped = default_path()
    local = resources.local_models() / f"{MODEL_NAME}.pack"
    if not local.is_file():
        return shipped
    try:
        base = read_card(local).get("feedback", {}).get("shipped")
    except ModelError as exc:
        raise untrusted(local, exc) from None
    current = read_card(shipped).get("version")
    if base is not None and base != current:
        log.warning(
            "%s was trained beside the shipped model %s, not this installation's %s: "
            "scoring with the shipped model until `warning train --with-feedback` "
            "trains it again",
            local,
            base,
            current,
        )
        return shipped
    return local


def untrusted(path: Path, error: ModelError) -> ModelError:
    """``error`` about the pack at ``path``; for a deployment's own model, with the way
    back to the shipped one first."""
    if path.parent != resources.local_models():
        return error
    return ModelError(error.message, f"{GO_BACK.format(path.parent)}, or {error.hint}")


def read_running(path: Path | None = None) -> tuple[Path, dict[str, Any], bytes]:
    """The running model's pack (or the one at ``path``), verified: where it is, its
    header and its body (scoring's and ``warning check``'s one way to read it)."""
    path = (path or running_path()).with_suffix(".pack")
    try:
        header, body = read(path)
    except ModelError as exc:
        raise untrusted(path, exc) from None
    return path, header, body


# --- reading ------------------------------------------------------------------------


def read(path: Path | None = None) -> tuple[dict[str, Any], bytes]:
    """A verified pack's header and body; ModelError, naming the fix, when it cannot be
    trusted: missing, not a pack, truncated, changed, or not the one its card names."""
    path = (path or default_path()).with_suffix(".pack")
    if not path.is_file():
        raise ModelError(f"no scoring pack at {path}", rebuild_hint(path))
    card = read_card(path)
    data = path.read_bytes()
    header, body = _parse(path, data)
    if header["format"] != FORMAT:
        raise ModelError(
            f"{path} is in pack format {header['format']}; this installation reads format {FORMAT}",
            rebuild_hint(path),
        )
    expected = header["body"]
    if len(body) < expected["bytes"]:
        raise ModelError(
            f"{path} is truncated: its body has {len(body)} of {expected['bytes']} bytes",
            f"restore a good copy, or {rebuild_hint(path)}",
        )
    if len(body) > expected["bytes"] or hashlib.sha256(body).hexdigest() != expected["sha256"]:
        raise ModelError(
            f"{path} was changed after it was written (its body does not match the "
            "sha256 in its header)",
            f"restore a good copy, or {rebuild_hint(path)}",
        )
    if header["version"] != card.get("version"):
        raise ModelError(
            f"{path} holds model {header['version']}; its card "
            f"{path.with_suffix('.json').name} describes {card.get('version')}",
            f"keep each model's .skops, .pack and .json together, or {rebuild_hint(path)}",
        )
    recorded = card.get("pack") or {}
    if not recorded:
        raise ModelError(
            f"the card {path.with_suffix('.json')} records no scoring pack", rebuild_hint(path)
        )
    actual = hashlib.sha256(data).hexdigest()
    if actual != recorded.get("sha256"):
        raise ModelError(
            f"{path} does not match its card (sha256 {actual[:12]}…, card says "
            f"{str(recorded.get('sha256'))[:12]}…)",
            f"restore a good copy, or {rebuild_hint(path)}",
        )
    return header, body


def _parse(path: Path, data: bytes) -> tuple[dict[str, Any], bytes]:
    start = len(MAGIC) + _LENGTH.size
    if len(data) < start or not data.startswith(MAGIC):
        raise ModelError(f"{path} is not a scoring pack", rebuild_hint(path))
    (size,) = _LENGTH.unpack_from(data, len(MAGIC))
    if start + size > len(data):
        raise ModelError(
            f"{path} is truncated: its header is cut off",
            f"restore a good copy, or {rebuild_hint(path)}",
        )
    try:
        header = json.loads(data[start : start + size].decode("utf-8"))
        fields = header["format"], header["version"], header["body"]["bytes"]
        if [type(f) for f in (*fields, header["body"]["sha256"])] != [int, str, int, str]:
            raise ValueError("a field of the wrong type")
    except (ValueError, TypeError, KeyError) as exc:
        raise ModelError(
            f"{path} has a damaged header ({exc})",
            f"restore a good copy, or {rebuild_hint(path)}",
        ) from None
    body_start = _aligned(start + size)
    return header, data[body_start:]


def _aligned(offset: int) -> int:
    return -(-offset // _ALIGN) * _ALIGN


# --- writing ------------------------------------------------------------------------


def write(
    path: Path, header: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> dict[str, Any]:
    """Write a pack; returns what the card records of it (file, sha256, bytes, format)."""
    body = bytearray()
    table: dict[str, Any] = {}
    for name, array in arrays.items():
        body += bytes(_aligned(len(body)) - len(body))
        table[name] = {
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "offset": len(body),
            "bytes": array.nbytes,
        }
        body += array.tobytes(order="C")
    full = {
        **header,
        "format": FORMAT,
        "arrays": table,
        "body": {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()},
    }
    text = json.dumps(full, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    prefix = MAGIC + _LENGTH.pack(len(text)) + text
    data = prefix + bytes(_aligned(len(prefix)) - len(prefix)) + bytes(body)
    path = path.with_suffix(".pack")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)  # never a half-written pack under the real name
    return {
        "file": path.name,
        "format": FORMAT,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def contents(
    parts: Mapping[str, Any],
    thresholds: Mapping[str, float],
    version: str,
    *,
    explain_min_idf: float,
    top_terms: int,
    opening: int,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and arrays of the pack for fitted estimators (``Model.parts()``).

    Refuses estimators whose features the scoring path does not compute
    (:data:`warning.classify.vectors.SETTINGS`): a pack must score as they do.
    """
    import numpy as np

    from .vectors import COMMON, SETTINGS

    features: dict[str, Any] = {}
    vocabularies = {}
    idf = []
    for name, vectorizer in parts["features"].transformer_list:
        wanted = {**SETTINGS.get(name, {}), **COMMON}
        params = vectorizer.get_params()
        found = {key: _plain(params.get(key)) for key in wanted}
        if name not in SETTINGS or found != wanted:
            raise ModelError(
                f"the model's {name!r} features ({found}) are not what the scoring pack "
                f"computes ({wanted})",
                "teach warning/classify/vectors.py the new features (its equality test "
                "says when it matches), or keep the settings in features.py",
            )
        features[name] = found
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
        if any("\n" in term for term in terms):
            raise ModelError(f"a {name} term contains a line break", "report this as a bug")
        vocabularies[name] = np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)
        idf.append(np.asarray(vectorizer.idf_, dtype=np.float32))
    if list(features) != ["words", "chars"]:
        raise ModelError(f"unexpected feature parts {list(features)}", "report this as a bug")
    members = [parts["classifiers"][label].calibrated_classifiers_ for label in LABELS]
    count = len(members[0])
    if any(len(m) != count for m in members):
        raise ModelError("labels average different numbers of classifiers", "retrain")
    fitted = [member for label_members in members for member in label_members]
    # One column per (label, member), label-major: probabilities average each label's.
    coef = np.column_stack([m.estimator.coef_[0] for m in fitted]).astype(np.float64)
    arrays: dict[str, np.ndarray] = {
        "words": vocabularies["words"],
        "chars": vocabularies["chars"],
        "idf": np.concatenate(idf),
        "coef": np.ascontiguousarray(coef),
        "intercept": np.array([m.estimator.intercept_[0] for m in fitted], dtype=np.float64),
        "slope": np.array([m.calibrators[0].a_ for m in fitted], dtype=np.float64),
        "offset": np.array([m.calibrators[0].b_ for m in fitted], dtype=np.float64),
    }
    header: dict[str, Any] = {
        "name": MODEL_NAME,
        "version": version,
        "labels": list(LABELS),
        "thresholds": {label: float(thresholds[label]) for label in LABELS},
        "members": count,
        "explain": {"min_idf": float(explain_min_idf), "top_terms": int(top_terms)},
        "opening": int(opening),
        "features": features,
    }
    return header, arrays


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, type):
        return value.__name__
    return value
