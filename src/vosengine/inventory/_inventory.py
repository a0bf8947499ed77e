"""The inventory's changes: phones and mapping gateways added, modified and removed, each
checked against the acting agent's scope and authorizations in one place
(:meth:`AccountDirectory.require <vosengine.accounts.AccountDirectory.require>`) and audited."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import attrs

from .._actors import Actor, actor_label
from .._checks import check_type, not_a_key
from .._time import check_aware
from ..accounts import AgentAction
from ..errors import InvalidArgument
from ..sip import ha1
from ._cards import _Cards
from ._errors import UnknownItem
from ._values import CAPACITY_FIELDS, MappingGateway, Phone

__all__ = ["Inventory"]

_A = AgentAction
I = TypeVar("I", Phone, MappingGateway)  # noqa: E741 - one item kind at a time


class Inventory(_Cards):
    """The phones and mapping gateways of a switch's accounts, over its
    :class:`~vosengine.accounts.AccountDirectory`.

    **Who may change what.** Every change names its ``actor`` (an
    :class:`~vosengine.accounts.Operator`, or the id of an agent acting in its subtree) and
    is checked by the directory, the one place that says so: the item's account must lie in
    the agent's subtree, the agent (and every agent above it) must be active, and it must
    hold the authorization: "phone" to add, modify or remove phones; "gateway" to add or
    remove mapping gateways (and to move one to another account); "modify gateway
    information" to change a gateway's networks, credentials, port, protocol, codecs,
    prefixes, expiry or lock; "modify gateway capacity" to change its capacity. A refused or
    invalid change raises and changes nothing; an accepted one appends one
    :class:`InventoryRecord` per item.

    **Secrets.** A phone or digest gateway is given a ``password``, checked against
    ``password_policy`` and kept only as its HA1 for ``realm`` under each of
    ``algorithms``; or given those HA1s (``ha1s``, an import from another switch). A realm
    cannot change afterwards: an HA1 holds it.

    **The registrar's store.** :meth:`credentials` (business clock) and :meth:`lookup`
    (protocol clock, through ``business_time``) make the inventory a
    :class:`~vosengine.sip.CredentialStore`: a registrar built on it answers from the
    stored HA1s and refuses an item that is locked or expired, or whose account -- or an
    agent above it -- is locked, inactive or expired (or removed from the directory).

    Thread-safe: changes hold the inventory's lock; readers take none and see each item
    whole, before or after a change.
    """

    # -- phones ----------------------------------------------------------------------------

    def add_phone(
        self, phone: Phone, *, password: str | None = None, actor: Actor, now: datetime
    ) -> Phone:
        """Add ``phone`` (with its ``password``, or its ``ha1s``); returns it as kept.
        Refused when the number, a DID or the username is taken."""
        check_type(phone, Phone, "phone")
        check_aware(now, "now")
        label = actor_label(actor)
        self.directory.require(actor, _A.ADD_PHONE, phone.account_id, now=now)
        phone = self._secret(phone, password, None)
        with self._lock:
            self._check_free(phone, None)
            self._index(phone)
            self._record(now, label, "add_phone", None, phone)
        return phone

    def modify_phone(
        self, phone: Phone, *, password: str | None = None, actor: Actor, now: datetime
    ) -> Phone:
        """Replace the phone with ``phone``'s number by ``phone`` (moving it to another
        account needs "phone" on both); without a new ``password`` or ``ha1s`` it keeps its
        secrets. Returns it as kept."""
        check_type(phone, Phone, "phone")
        check_aware(now, "now")
        label = actor_label(actor)
        old = self.phone(phone.number)
        self.directory.require(actor, _A.MODIFY_PHONE, old.account_id, now=now)
        if phone.account_id != old.account_id:
            self.directory.require(actor, _A.MODIFY_PHONE, phone.account_id, now=now)
        phone = self._secret(phone, password, old)
        return self._replace(old, phone, now, label, "modify_phone")

    def remove_phone(self, number: str, *, actor: Actor, now: datetime) -> Phone:
        """Remove the phone with this number; returns it."""
        check_aware(now, "now")
        label = actor_label(actor)
        old = self.phone(number)
        self.directory.require(actor, _A.DELETE_PHONE, old.account_id, now=now)
        with self._lock:
            if self._phones.get(number) is not old:
                raise UnknownItem(f"number: phone {number!r} changed meanwhile; try again")
            self._unindex(old)
            self._record(now, label, "remove_phone", old, None)
        return old

    # -- mapping gateways ------------------------------------------------------------------

    def add_gateway(
        self, gateway: MappingGateway, *, password: str | None = None, actor: Actor, now: datetime
    ) -> MappingGateway:
        """Add ``gateway`` (a digest gateway with its ``password`` or ``ha1s``); returns it
        as kept. Refused when its id, username or one of its networks is taken."""
        check_type(gateway, MappingGateway, "gateway")
        check_aware(now, "now")
        label = actor_label(actor)
        self.directory.require(actor, _A.ADD_GATEWAY, gateway.account_id, now=now)
        gateway = self._secret(gateway, password, None)
        with self._lock:
            self._check_free(gateway, None)
            self._index(gateway)
            self._record(now, label, "add_gateway", None, gateway)
        return gateway

    def modify_gateway(
        self, gateway: MappingGateway, *, password: str | None = None, actor: Actor, now: datetime
    ) -> MappingGateway:
        """Replace the gateway with ``gateway``'s id by ``gateway``. What changed decides
        the authorizations needed (see the class); a gateway moved to another account needs
        "gateway" on both. Without a new ``password`` or ``ha1s`` (and with the same
        username) it keeps its secrets. Returns it as kept."""
        check_type(gateway, MappingGateway, "gateway")
        check_aware(now, "now")
        label = actor_label(actor)
        old = self.gateway(gateway.id)
        changed = {
            field.name
            for field in attrs.fields(MappingGateway)
            if getattr(old, field.name) != getattr(gateway, field.name)
        }
        if not gateway.ha1s and password is None:
            changed.discard("ha1s")  # kept, when the username is the same (see _secret)
        needed = []
        if "account_id" in changed:
            needed += [(_A.DELETE_GATEWAY, old.account_id), (_A.ADD_GATEWAY, gateway.account_id)]
        if changed & CAPACITY_FIELDS:
            needed.append((_A.MODIFY_GATEWAY_CAPACITY, old.account_id))
        if changed - CAPACITY_FIELDS - {"account_id"} or password is not None:
            needed.append((_A.MODIFY_GATEWAY_INFO, old.account_id))
        for action, account_id in needed or [(_A.MODIFY_GATEWAY_INFO, old.account_id)]:
            self.directory.require(actor, action, account_id, now=now)
        gateway = self._secret(gateway, password, old)
        if not changed and password is None:
            return old
        return self._replace(old, gateway, now, label, "modify_gateway")

    def remove_gateway(self, gateway_id: str, *, actor: Actor, now: datetime) -> MappingGateway:
        """Remove the mapping gateway with this id; returns it."""
        check_aware(now, "now")
        label = actor_label(actor)
        old = self.gateway(gateway_id)
        self.directory.require(actor, _A.DELETE_GATEWAY, old.account_id, now=now)
        with self._lock:
            if self._gateways.get(gateway_id) is not old:
                raise UnknownItem(f"gateway_id: gateway {gateway_id!r} changed meanwhile")
            self._unindex(old)
            self._record(now, label, "remove_gateway", old, None)
        return old

    # -- helpers ---------------------------------------------------------------------------

    def _replace(self, old: I, new: I, now: datetime, label: str, action: str) -> I:
        with self._lock:
            current = self._phones if isinstance(old, Phone) else self._gateways
            if current.get(old.key) is not old:
                raise UnknownItem(f"{old.key!r} changed meanwhile; read it again and retry")
            self._unindex(old)
            try:
                self._check_free(new, old)
            except BaseException:
                self._index(old)
                raise
            self._index(new)
            self._record(now, label, action, old, new)
        return new

    def _secret(self, item: I, password: str | None, old: I | None) -> I:
        """``item`` with the HA1s of ``password`` (checked against the policy; they replace
        the HA1s ``item`` carries over from ``old``), or with the HA1s of ``old`` when
        neither a password nor HA1s are given and the username is the same; then
        :meth:`_check_secrets`."""
        username = item.sip_username
        if password is not None:
            if item.ha1s and (old is None or item.ha1s != old.ha1s):  # the stored ones: replaced
                raise InvalidArgument("password: give a password or ha1s, not both")
            if not username:
                raise InvalidArgument(
                    "password: a gateway authenticated by IP only has no SIP username to"
                    " hash it with"
                )
            self.password_policy.check(password, username=username)
            table = {
                algorithm: ha1(username, self.realm, password, algorithm=algorithm)
                for algorithm in self.algorithms
            }
            item = attrs.evolve(item, ha1s=table)
        elif not item.ha1s and old is not None and old.ha1s and old.sip_username == username:
            item = attrs.evolve(item, ha1s=old.ha1s)
        self._check_secrets(item)
        return item

    def __contains__(self, key: object) -> bool:
        """Whether a phone has this number or a gateway this id."""
        try:
            return key in self._phones or key in self._gateways
        except TypeError:
            raise not_a_key(key, "key") from None
