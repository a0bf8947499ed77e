"""Who acts: an :class:`Operator` of the switch, or the id of an agent account acting inside
its subtree. Shared by the directory, the ledger and CDR posting; users import them from
:mod:`vosengine.accounts`."""

from __future__ import annotations

import attrs

from .errors import InvalidArgumentType

__all__ = ["Actor", "Operator", "actor_label"]


@attrs.frozen(kw_only=True)
class Operator:
    """A system operator (an admin of the switch), acting outside the agent tree.

    The directory lets an operator do anything; what an admin may do is the policy's
    business (:mod:`vosengine.policy`)."""

    name: str

    def __str__(self) -> str:
        return f"operator:{self.name}"


#: Who performs a change: an operator, or the id of an agent account acting in its subtree.
Actor = Operator | str


def actor_label(actor: Actor) -> str:
    """How records name ``actor``: ``operator:<name>`` or ``agent:<id>``; anything else is
    :class:`~vosengine.InvalidArgumentType`."""
    if isinstance(actor, Operator):
        return str(actor)
    if not isinstance(actor, str):
        raise InvalidArgumentType(
            f"actor: expected an Operator or an agent account id, got {actor!r}"
        )
    return f"agent:{actor}"
