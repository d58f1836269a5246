"""The base of the runbook's models: cheap to build from checked values, and small once built.

A 10,000-task runbook makes tens of thousands of these; what each one costs to build and to hold
is most of what loading a big runbook costs (see `make bench`: runbook-10k-ratio and memory).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, model_serializer

_set = object.__setattr__


class _Model(BaseModel):
    # Schemas are built on first use (validation or dumping); loading never validates, and building
    # them all at import would double the start-up time of `patchbay validate`.
    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    @classmethod
    def checked(cls: type[_M], values: dict[str, Any], private: dict[str, Any] | None = None) -> _M:
        """An instance from values the loader has already checked (it logs located errors itself).

        `private`, if given, is the instance's private attributes, used as is (not copied).

        Like `model_construct`, without its per-field default machinery, which dominated loading
        a large runbook (it inspects the signature of every default factory on every call).
        """
        shared, _fresh, private_factories = _plain_defaults(cls)
        instance = cls.__new__(cls)
        # Each field is set as an attribute, in the fields' order: the interpreter then keeps the
        # values inline in the object with the keys shared by the class, half the memory of a dict
        # per instance. A mutable default (an empty list or dict) is left out, made on first use
        # by __getattr__: one per task was a fifth of a loaded runbook's memory.
        for name in _field_names(cls):
            if name in values:
                _set(instance, name, values[name])
            elif name in shared:
                _set(instance, name, shared[name])
        # One set per distinct set of given keys, shared by the instances: a set per model was a
        # quarter of a loaded runbook's memory. Nothing reads it (no `exclude_unset` dumps), and an
        # assignment adds a field name, which at worst marks that field as set in a few siblings.
        _set(instance, "__pydantic_fields_set__", _fields_set(values))
        _set(instance, "__pydantic_extra__", None)
        if private is None and private_factories:
            private = {name: factory() for name, factory in private_factories.items()}
        _set(instance, "__pydantic_private__", private)
        return instance

    def __getattr__(self, name: str) -> Any:
        factory = _plain_defaults(type(self))[1].get(name)
        if factory is None:
            return super().__getattr__(name)  # type: ignore[misc]
        value = factory()
        _set(self, name, value)
        return value

    def _fill_defaults(self) -> None:
        """Make the mutable defaults `checked` left out, for what reads the fields all at once."""
        fresh = _plain_defaults(type(self))[1]
        if fresh:
            values = self.__dict__
            for name, factory in fresh.items():
                if name not in values:
                    _set(self, name, factory())

    @model_serializer(mode="wrap")
    def _dump_every_field(self, handler: Callable[[Any], Any]) -> Any:
        self._fill_defaults()
        return handler(self)

    def __eq__(self, other: object) -> bool:
        self._fill_defaults()
        if isinstance(other, _Model):
            other._fill_defaults()
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # as BaseModel's: mutable models are not hashable

    def __repr_args__(self) -> Any:
        self._fill_defaults()
        return super().__repr_args__()


_M = TypeVar("_M", bound=_Model)
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def _fields_set(values: dict[str, Any]) -> set[str]:
    key = frozenset(values)
    found = _FIELDS_SETS.get(key)
    if found is None:
        found = _FIELDS_SETS[key] = set(key)
    return found


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type[_Model]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(cls.model_fields)
    return names


_DEFAULTS_BY_CLASS: dict[
    type, tuple[dict[str, Any], dict[str, Callable[[], Any]], dict[str, Callable[[], Any]]]
] = {}


def _plain_defaults(
    cls: type[_Model],
) -> tuple[dict[str, Any], dict[str, Callable[[], Any]], dict[str, Callable[[], Any]]]:
    """(defaults shared safely, factories for mutable defaults, factories for private attributes)."""
    cached = _DEFAULTS_BY_CLASS.get(cls)
    if cached is None:
        shared: dict[str, Any] = {}
        fresh: dict[str, Callable[[], Any]] = {}
        for name, info in cls.model_fields.items():
            if info.is_required():
                continue
            default = info.default
            if isinstance(default, (list, dict, set)):
                fresh[name] = type(default)
            elif isinstance(default, BaseModel):
                fresh[name] = default.model_copy
            else:
                shared[name] = default
        private = {
            name: attr.default_factory or (lambda value=attr.default: value)
            for name, attr in cls.__private_attributes__.items()
        }
        cached = _DEFAULTS_BY_CLASS[cls] = (shared, fresh, private)
    return cached
