"""Plain data (YAML, a checkpoint) into typed frozen dataclasses, and dotted overrides on it.

A recipe is data, so it is validated like data: an unknown key or a value of the wrong type is
an error naming the key, never silently ignored; values in messages are cut at ~80 characters.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import reprlib
import types
import typing
from typing import Any, Literal, Union

import yaml

from saae_augment.errors import RecipeError
from saae_augment.yamlfiles import safe_load_bounded

SHOWN_CHARS = 80


def short_repr(value: Any) -> str:
    """A value as an error message shows it: at most ~80 characters, whatever the user gave."""
    r = reprlib.Repr()  # attributes, not keywords: Python 3.10 and 3.11 take none
    r.maxstring, r.maxother, r.maxlist, r.maxdict, r.maxlevel = SHOWN_CHARS, SHOWN_CHARS, 6, 6, 3
    text = r.repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is tuple:
        return "[" + ", ".join(_type_name(a) for a in typing.get_args(tp)) + "]"
    return "null" if tp is type(None) else getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """`value` as type `tp`, or RecipeError naming `key`. Ints are accepted where floats are."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        for option in typing.get_args(tp):
            try:
                return _coerce(value, option, key)
            except RecipeError:
                continue
    elif origin is Literal:
        if value in typing.get_args(tp):
            return value
    elif origin is tuple:
        if isinstance(value, str) and "x" in value.lower():  # "32x128" for sizes
            value = value.lower().split("x")
        if isinstance(value, (list, tuple)) and len(value) == len(typing.get_args(tp)):
            return tuple(_coerce(v, t, key) for v, t in zip(value, typing.get_args(tp), strict=True))
    elif tp is type(None):
        if value is None:
            return None
    elif tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value):  # .inf / .nan would only fail later, as a NaN loss
                return float(value)
            raise RecipeError(f"recipe key {key} must be a finite number, not {short_repr(value)}")
        if isinstance(value, str):  # YAML 1.1 reads 1e-4 (no dot) as a string; users mean the number
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if math.isfinite(number):
                return number
    elif tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
    elif dataclasses.is_dataclass(tp):
        if isinstance(value, dict):
            return build_dataclass(tp, value, key + ".")
    raise RecipeError(f"recipe key {key} must be {_type_name(tp)}, not {short_repr(value)}")


def build_dataclass(cls: type, values: dict[str, Any], prefix: str = "") -> Any:
    """An instance of dataclass `cls` from `values`, every key known and every value coerced to its type."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in values.items():
        if key not in names:
            shown = str(key)[:SHOWN_CHARS]
            close = difflib.get_close_matches(shown, names, n=1)
            hint = f" (did you mean {prefix}{close[0]}?)" if close else f"; known keys: {', '.join(names)}"
            raise RecipeError(f"unknown recipe key {prefix}{shown}{hint}")
        kwargs[key] = _coerce(value, hints[key], prefix + key)
    return cls(**kwargs)


def parse_override(text: str) -> tuple[list[str], Any]:
    """`model.channels=64` → (["model", "channels"], 64); the value is read as YAML."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise RecipeError(f"override {short_repr(text)} is not KEY=VALUE (e.g. train.max_steps=200)")
    try:
        value = safe_load_bounded(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key.strip().split("."), value


def apply_overrides(values: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Dotted `key=value` overrides applied to plain recipe data; unknown keys are errors."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in values.items()}
    for text in overrides:
        path, value = parse_override(text)
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise RecipeError(f"override {short_repr(text)}: {short_repr(part)} is not a section")
        node[path[-1]] = value
    return out
