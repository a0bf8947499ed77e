"""The inventory agents manage besides accounts, as VOS3000 keeps it: SIP :class:`Phone`\\ s
and :class:`MappingGateway`\\ s (customers' inbound trunks), each of an account of the
:class:`~vosengine.accounts.AccountDirectory`.

* Every change goes through the directory's one authorization check
  (:meth:`~vosengine.accounts.AccountDirectory.require`): an agent acts only on the items of
  its own subtree, and only with the matching authorization ("phone"; "gateway", "modify
  gateway information", "modify gateway capacity").
* Secrets are kept as digest HA1s per algorithm, never in clear, and a password must meet
  the inventory's :class:`PasswordPolicy`.
* The :class:`Inventory` is a :class:`~vosengine.sip.CredentialStore`: a registrar built on
  it refuses an item that is locked or expired, or whose account or any agent above it is
  locked, inactive or expired.
* :meth:`Inventory.gateway_for` answers "which gateway does a call from this address come
  through": the most specific network holding it.
"""

from __future__ import annotations

from ._card_values import CardBatch, PhoneCard
from ._errors import DuplicateItem, UnknownItem, WeakPassword
from ._inventory import Inventory
from ._values import (
    STATE_REASONS,
    GatewayProtocol,
    InventoryRecord,
    MappingGateway,
    PasswordPolicy,
    Phone,
)

__all__ = [
    "STATE_REASONS",
    "CardBatch",
    "PhoneCard",
    "DuplicateItem",
    "GatewayProtocol",
    "Inventory",
    "InventoryRecord",
    "MappingGateway",
    "PasswordPolicy",
    "Phone",
    "UnknownItem",
    "WeakPassword",
]
