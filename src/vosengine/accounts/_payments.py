"""Who may pay into an account, by the agent rules of a directory: the payer rules a ledger is
given (:class:`vosengine.ledger.PayerRules`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .._actors import Actor, Operator, actor_label
from ..errors import PermissionDenied
from ..verdicts import Decision
from ._authorizations import AgentAction

if TYPE_CHECKING:
    from ._directory import AccountDirectory

__all__ = ["AgentPayments"]


class AgentPayments:
    """The agent payment rules of ``directory``: an :class:`Operator` pays anywhere; an agent
    pays into its own account only with *payment for this account*, into an account of its
    subtree only with *payment for sub accounts* (and within its scope, active, not expired
    at ``now``), and transfers only from its own account.

    Give it to a ledger: ``InMemoryLedger(payers=AgentPayments(directory))``."""

    __slots__ = ("directory",)

    def __init__(self, directory: AccountDirectory) -> None:
        self.directory = directory

    def authorize(self, actor: Actor, account_id: str, *, now: datetime) -> str:
        label = actor_label(actor)
        if not isinstance(actor, Operator):
            action = AgentAction.PAY_SELF if actor == account_id else AgentAction.PAY_SUB
            self.directory.require(actor, action, account_id, now=now)
        return label

    def authorize_transfer(self, actor: Actor, source: str, target: str, *, now: datetime) -> str:
        label = self.authorize(actor, target, now=now)
        if not isinstance(actor, Operator) and actor != source:
            raise PermissionDenied(
                Decision(
                    allowed=False, reason=f"agent {actor!r} can only transfer from its own account"
                )
            )
        return label
