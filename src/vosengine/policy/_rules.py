"""Casbin's rule lists with a hash index, so that adding, finding and removing one rule costs
O(1) however many rules the policy holds.

pycasbin keeps each assertion's rules in a plain ``list``: ``add_policy`` first asks
``rule in rules`` and ``remove_policy`` calls ``rules.remove(rule)``, both scans of every rule
(3.2 ms a grant with 10,000 admins). :class:`_IndexedModel` is a Casbin ``Model`` whose ``p``
and ``g`` assertions hold a :class:`_Rules` instead: a ``list`` (Casbin, its adapters and its
role managers read it as one) that also maps each rule to its positions. A removal moves the
last rule into the freed place, so the order of the rules changes; the vosengine model does
not depend on it (its effect is deny-overrides, with no priority field).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, SupportsIndex

from casbin.model import Model
from casbin.model.assertion import Assertion

__all__: list[str] = []


class _Rules(list[list[str]]):
    """A rule list that knows where each rule is: ``in``, ``append`` and ``remove`` are O(1)
    (``remove`` fills the gap with the last rule). Every other change rebuilds the index."""

    __slots__ = ("_where",)

    def __init__(self, rules: Iterable[list[str]] = ()) -> None:
        super().__init__()
        self._where: dict[tuple[str, ...], list[int]] = {}
        for rule in rules:
            self.append(rule)

    def _rebuild(self) -> None:
        self._where = {}
        for index, rule in enumerate(list.__iter__(self)):
            self._where.setdefault(tuple(rule), []).append(index)

    def _places(self, rule: object) -> list[int] | None:
        """Where ``rule`` is, or None when it is not here."""
        if not isinstance(rule, list):  # as in a list: a tuple equals no rule
            return None
        try:
            return self._where.get(tuple(rule))
        except TypeError:  # a rule holding something unhashable is in no policy
            return None

    def __contains__(self, rule: object) -> bool:
        return bool(self._places(rule))

    def append(self, rule: list[str]) -> None:
        self._where.setdefault(tuple(rule), []).append(len(self))
        super().append(rule)

    def extend(self, rules: Iterable[list[str]]) -> None:
        for rule in rules:
            self.append(rule)

    def remove(self, rule: list[str]) -> None:
        places = self._places(rule)
        if not places:
            raise ValueError("list.remove(x): x not in list")
        index = places.pop()
        if not places:
            del self._where[tuple(rule)]
        last = len(self) - 1
        if index != last:
            moved = list.__getitem__(self, last)
            list.__setitem__(self, index, moved)
            spots = self._where[tuple(moved)]
            spots[spots.index(last)] = index
        list.pop(self)

    # the rest of list's changes are rare in Casbin (updates, priority sorting): each keeps the
    # list's behaviour and rebuilds the index

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._rebuild()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self._rebuild()

    def __iadd__(self, rules: Iterable[list[str]]) -> _Rules:  # type: ignore[override, misc]
        self.extend(rules)
        return self

    def __imul__(self, times: SupportsIndex) -> _Rules:
        super().__imul__(times)
        self._rebuild()
        return self

    def insert(self, index: SupportsIndex, rule: list[str]) -> None:
        super().insert(index, rule)
        self._rebuild()

    def pop(self, index: SupportsIndex = -1) -> list[str]:
        rule = super().pop(index)
        self._rebuild()
        return rule

    def clear(self) -> None:
        super().clear()
        self._where = {}

    def sort(self, *args: Any, **kwargs: Any) -> None:
        super().sort(*args, **kwargs)
        self._rebuild()

    def reverse(self) -> None:
        super().reverse()
        self._rebuild()

    def __copy__(self) -> _Rules:
        return _Rules(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> _Rules:
        return _Rules(copy.deepcopy(list(self), memo))

    def __reduce__(self) -> tuple[Any, ...]:
        return _Rules, (list(self),)


class _RuleAssertion(Assertion):  # type: ignore[misc]
    """An assertion whose rules are always a :class:`_Rules`, whatever Casbin assigns."""

    @property
    def policy(self) -> _Rules:
        return self._rules

    @policy.setter
    def policy(self, rules: Iterable[list[str]]) -> None:
        self._rules = rules if isinstance(rules, _Rules) else _Rules(rules)


class _IndexedModel(Model):  # type: ignore[misc]
    """A Casbin model whose ``p`` and ``g`` assertions hold indexed rule lists."""

    def add_def(self, sec: str, key: str, value: str) -> Any:
        added = super().add_def(sec, key, value)
        if added and sec in ("p", "g"):
            state = dict(self.model[sec][key].__dict__)
            rules = state.pop("policy")
            assertion = _RuleAssertion()
            assertion.__dict__.update(state)
            assertion.policy = rules
            self.model[sec][key] = assertion
        return added


def indexed_model(text: str) -> Model:
    """A Casbin model read from ``text``, with indexed rule lists."""
    model = _IndexedModel()
    model.load_model_from_text(text)
    return model
