"""Dataclasses to and from Keel's JSON: snake_case fields, the wire names in field metadata.

Decoding is lenient on purpose: a member the client does not know (a newer server) is kept in
`extra` when the class has one and ignored otherwise; a member the server left out is `None`.
Nothing is validated here: the server validated the output before answering.
"""
from __future__ import annotations

import dataclasses
import sys
from typing import Any, Dict, Tuple, Type, TypeVar, Union, get_args, get_origin, get_type_hints

if sys.version_info >= (3, 10):
    from types import UnionType

    _UNIONS: Tuple[Any, ...] = (Union, UnionType)
else:  # pragma: no cover - Python 3.9
    _UNIONS = (Union,)

T = TypeVar("T")
_HINTS: Dict[type, Dict[str, Any]] = {}


def to_wire(value: Any) -> Any:
    """A dataclass (or dict, list, scalar) as JSON-ready data; `None` fields are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: Dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.name == "extra" and "wire" not in f.metadata:
                out.update(item or {})
            elif item is not None:
                out[f.metadata.get("wire", f.name)] = to_wire(item)
        return out
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    return value


def from_wire(tp: Type[T], data: Any) -> T:
    """`data` (parsed JSON) as `tp`: a generated dataclass, List/Dict/Optional of one, a scalar."""
    return _decode(tp, data)  # type: ignore[no-any-return]


def _decode(tp: Any, data: Any) -> Any:
    if data is None or tp is Any:
        return data
    origin = get_origin(tp)
    if origin in _UNIONS:
        options = [a for a in get_args(tp) if a is not type(None)]
        return _decode(options[0], data) if len(options) == 1 else data
    if origin is list and isinstance(data, list):
        (item,) = get_args(tp) or (Any,)
        return [_decode(item, v) for v in data]
    if origin is dict and isinstance(data, dict):
        _, value = get_args(tp) or (str, Any)
        return {k: _decode(value, v) for k, v in data.items()}
    if dataclasses.is_dataclass(tp) and isinstance(data, dict):
        return _decode_dataclass(tp, data)
    if tp is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    return data


def _decode_dataclass(cls: Any, data: Dict[str, Any]) -> Any:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = get_type_hints(cls)
    kwargs: Dict[str, Any] = {}
    known = set()
    has_extra = False
    for f in dataclasses.fields(cls):
        wire = f.metadata.get("wire")
        if wire is None:
            has_extra = has_extra or f.name == "extra"
            continue
        known.add(wire)
        kwargs[f.name] = _decode(hints[f.name], data.get(wire))
    if has_extra:
        kwargs["extra"] = {k: v for k, v in data.items() if k not in known}
    return cls(**kwargs)
