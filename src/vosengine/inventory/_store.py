"""What an inventory holds and how it is read: the phones and mapping gateways by key, the
indexes the switch asks on every REGISTER and INVITE (SIP username, DID, source address),
the audit log, and snapshots."""

from __future__ import annotations

import hmac
import random
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, Self

import attrs

from .._checks import check_name, check_type, not_a_key
from .._time import check_aware, check_seconds
from ..accounts import AccountDirectory, UnknownAccount
from ..errors import InvalidArgument, InvalidArgumentType
from ..ledger import Ledger
from ..sip import ALGORITHMS, AuthMethod, SipAccount
from ._card_values import PhoneCard, pin_digest
from ._errors import DuplicateItem, UnknownItem
from ._networks import NetworkIndex, network_key
from ._values import InventoryRecord, MappingGateway, PasswordPolicy, Phone, own_state

__all__: list[str] = []

Item = Phone | MappingGateway
#: What the credential index keeps per SIP username: the account the registrar gets when
#: every level is active, whether the item is locked, when it expires, its account.
_Entry = tuple[SipAccount, bool, datetime | None, str]
#: What a snapshot's ``pin_check`` is the digest of: it tells a wrong ``pin_key`` on restore.
_CHECK = "vosengine.inventory/pin-key"


class _Store:
    """The state of an :class:`~vosengine.inventory.Inventory` and its readers. Readers take
    no lock: each reads one dictionary entry (swapped whole by a change) or copies a
    dictionary's values in one step before looking at them."""

    def __init__(
        self,
        directory: AccountDirectory,
        *,
        realm: str,
        algorithms: tuple[str, ...] = ("MD5",),
        password_policy: PasswordPolicy | None = None,
        business_time: Callable[[float], datetime] | None = None,
        ledger: Ledger | None = None,
        pin_key: bytes | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not isinstance(directory, AccountDirectory):
            raise InvalidArgumentType(f"directory: expected an AccountDirectory, got {directory!r}")
        check_name(realm, "realm")
        if any(c in realm for c in '"\\\r\n'):
            raise InvalidArgument(f"realm: {realm!r} holds a quote or line break")
        if isinstance(algorithms, str) or not isinstance(algorithms, tuple | list):
            raise InvalidArgumentType(f"algorithms: expected a tuple of names, got {algorithms!r}")
        for algorithm in algorithms:
            if algorithm not in ALGORITHMS:
                raise InvalidArgument(
                    f"algorithms: {algorithm!r} is not one of {sorted(ALGORITHMS)}"
                )
        if not algorithms:
            raise InvalidArgument("algorithms: keep the HA1 of at least one")
        if password_policy is None:
            password_policy = PasswordPolicy()
        check_type(password_policy, PasswordPolicy, "password_policy")
        if business_time is not None and not callable(business_time):
            raise InvalidArgumentType(
                f"business_time: expected a function of the protocol clock, got {business_time!r}"
            )
        if pin_key is not None and (not isinstance(pin_key, bytes) or len(pin_key) < 16):
            raise InvalidArgument("pin_key: expected at least 16 random bytes")
        if ledger is not None and not all(
            callable(getattr(ledger, name, None))
            for name in ("open_account", "balance", "available", "recharge")
        ):
            raise InvalidArgumentType(
                f"ledger: expected a Ledger (open_account, balance, available, recharge), got"
                f" {ledger!r}"
            )
        if rng is not None and not isinstance(rng, random.Random):
            raise InvalidArgumentType(f"rng: expected a random.Random, got {rng!r}")
        self.directory = directory
        self.ledger = ledger
        self.rng = random.SystemRandom() if rng is None else rng
        self._pin_key = pin_key
        self.realm = realm
        self.algorithms = tuple(dict.fromkeys(algorithms))
        self.password_policy = password_policy
        self.business_time = business_time
        self._lock = threading.Lock()
        self._phones: dict[str, Phone] = {}
        self._gateways: dict[str, MappingGateway] = {}
        self._dids: dict[str, str] = {}  # DID -> phone number
        self._credentials: dict[str, _Entry] = {}  # SIP username -> its entry
        self._owners: dict[str, Item] = {}  # SIP username -> phone or gateway
        self._sources: NetworkIndex[MappingGateway] = NetworkIndex()
        self._cards: dict[str, PhoneCard] = {}  # serial -> card
        self._pins: dict[str, str] = {}  # PIN digest -> serial
        self._batches: dict[str, int] = {}  # batch -> cards made
        self._audit: list[InventoryRecord] = []
        self._audit_seq = 0

    def _key(self) -> bytes:
        if self._pin_key is None:
            raise InvalidArgument(
                "pin_key: the inventory needs one (at least 16 secret random bytes, the same"
                " on every node and after a restore) to keep phone cards"
            )
        return self._pin_key

    def _ledger(self) -> Ledger:
        if self.ledger is None:
            raise InvalidArgument("ledger: the inventory needs one to hold phone card balances")
        return self.ledger

    # -- reading ---------------------------------------------------------------------------

    def phone(self, number: str) -> Phone:
        """The phone with this number; :class:`UnknownItem` when there is none."""
        try:
            return self._phones[number]
        except KeyError:
            raise UnknownItem(f"number: no phone has number {number!r}") from None
        except TypeError:
            raise not_a_key(number, "number") from None

    def phones(self, *, account_id: str | None = None) -> list[Phone]:
        """Every phone, or those of ``account_id``, by number."""
        return sorted(
            (p for p in list(self._phones.values()) if account_id in (None, p.account_id)),
            key=lambda phone: phone.number,
        )

    def phone_for_did(self, did: str) -> Phone | None:
        """The phone a call to the DID ``did`` reaches, or ``None``."""
        try:
            number = self._dids.get(did)
        except TypeError:
            raise not_a_key(did, "did") from None
        return None if number is None else self._phones.get(number)  # None: removed meanwhile

    def gateway(self, gateway_id: str) -> MappingGateway:
        """The mapping gateway with this id; :class:`UnknownItem` when there is none."""
        try:
            return self._gateways[gateway_id]
        except KeyError:
            raise UnknownItem(f"gateway_id: no mapping gateway has id {gateway_id!r}") from None
        except TypeError:
            raise not_a_key(gateway_id, "gateway_id") from None

    def gateways(self, *, account_id: str | None = None) -> list[MappingGateway]:
        """Every mapping gateway, or those of ``account_id``, by id."""
        return sorted(
            (
                g
                for g in self._gateways.values()
                if account_id is None or g.account_id == account_id
            ),
            key=lambda gateway: gateway.id,
        )

    def gateway_for(self, ip: str) -> MappingGateway | None:
        """The mapping gateway a call from ``ip`` comes through (authentication by IP): the
        one with the most specific network holding the address, so a /32 carved out of
        another customer's /24 is its own. ``None`` when no network holds it (or ``ip`` is
        no address). Two gateways never hold the same network. Whether the gateway may
        carry a call now is :meth:`gateway_state`'s answer."""
        if type(ip) is not str:
            raise InvalidArgumentType(f"ip: expected a str address, got {ip!r}")
        return self._sources.find(ip)

    def gateway_state(self, gateway: MappingGateway, *, at: datetime) -> str:
        """``"active"`` when ``gateway`` may carry a call at ``at``, else why not: the worst
        of its own state (``"locked"``, ``"expired"``) and its account's effective status
        (``"locked"``, ``"inactive"``, ``"expired"``: the account or an agent above it), or
        ``"removed"`` when its account is no longer in the directory."""
        check_type(gateway, MappingGateway, "gateway")
        check_aware(at, "at")
        return self._state(gateway.locked, gateway.expires_at, gateway.account_id, at)

    def _state(
        self, locked: bool, expires_at: datetime | None, account_id: str, at: datetime
    ) -> str:
        state = own_state(locked, expires_at, at)
        if state != "active":
            return state
        try:
            verdict = self.directory._verdict(account_id, at)
        except UnknownAccount:
            return "removed"
        return verdict.status.value

    # -- the credential store of a registrar ----------------------------------------------

    def credentials(self, username: str, *, at: datetime) -> SipAccount | None:
        """What a registrar needs of the phone or digest gateway registering as
        ``username`` at ``at``: its stored HA1s and source networks, and ``active`` only
        when the item and its account and every agent above it are active (``status``
        says why not, as :meth:`gateway_state` words it). ``None`` for
        an unknown username. O(1) and no allocation for an active user."""
        try:
            entry = self._credentials.get(username)
        except TypeError:
            raise not_a_key(username, "username") from None
        if entry is None:
            return None
        if type(at) is not datetime or (type(at.tzinfo) is not timezone and at.utcoffset() is None):
            check_aware(at, "at")
        account, locked, expires_at, account_id = entry
        if not locked and (expires_at is None or at < expires_at):
            try:
                verdict = self.directory._verdict(account_id, at)
            except UnknownAccount:
                verdict = None
            if verdict:  # the common case, inline: no call to _state
                return account
        state = self._state(locked, expires_at, account_id, at)
        return attrs.evolve(account, active=False, status=state)

    def lookup(self, username: str, *, now: float) -> SipAccount | None:
        """:meth:`credentials` at the business time of the protocol clock's ``now``: this
        makes the inventory a :class:`~vosengine.sip.CredentialStore`. Needs
        ``business_time`` (given to the inventory): the host's mapping from its monotonic
        clock to an aware ``datetime``, such as ``lambda now: datetime.now(UTC)``."""
        check_seconds(now)
        wall = self.business_time
        if wall is None:
            raise InvalidArgument(
                "business_time: the inventory needs it to serve a registrar (a function of the"
                " protocol clock giving an aware datetime, such as lambda now:"
                " datetime.now(timezone.utc))"
            )
        return self.credentials(username, at=check_aware(wall(now), "business_time(now)"))

    # -- indexes ---------------------------------------------------------------------------

    def _sip_account(self, item: Item) -> SipAccount | None:
        username = item.sip_username
        if not username:
            return None
        return SipAccount(
            username=username,
            auth=item.auth,
            ha1s=item.ha1s,
            addresses=item.networks,
            account_id=item.account_id,
        )

    def _index(self, item: Item) -> None:
        """Enter ``item`` in every index. Under the lock, after :meth:`_check_free`."""
        account = self._sip_account(item)
        if account is not None:
            self._credentials[account.username] = (
                account,
                item.locked,
                item.expires_at,
                item.account_id,
            )
            self._owners[account.username] = item
        if isinstance(item, Phone):
            self._phones[item.number] = item
            for did in item.dids:
                self._dids[did] = item.number
        else:
            self._gateways[item.id] = item
            for network in item.networks:
                self._sources.add(network, item)

    def _unindex(self, item: Item) -> None:
        """Remove ``item`` from every index. Under the lock."""
        username = item.sip_username
        if username and self._owners.get(username) is item:
            del self._credentials[username]
            del self._owners[username]
        if isinstance(item, Phone):
            del self._phones[item.number]
            for did in item.dids:
                del self._dids[did]
        else:
            del self._gateways[item.id]
            for network in item.networks:
                self._sources.remove(network)

    def _check_free(self, item: Item, replacing: Item | None) -> None:
        """Refuse ``item`` when a number, DID, username or network of it belongs to another
        item (``replacing`` is the item it replaces). Under the lock."""
        if isinstance(item, Phone):
            if replacing is None and item.number in self._phones:
                raise DuplicateItem(f"number: a phone has number {item.number!r} already")
            for did in item.dids:
                owner = self._dids.get(did)
                if owner is not None and owner != item.number:
                    raise DuplicateItem(f"dids: {did!r} reaches phone {owner!r} already")
        else:
            if replacing is None and item.id in self._gateways:
                raise DuplicateItem(f"id: a mapping gateway has id {item.id!r} already")
            for network in item.networks:
                holder = self._sources.get(network)
                if holder is not None and holder.id != item.id:
                    raise DuplicateItem(
                        f"networks: {network!r} is a network of gateway {holder.id!r} already"
                    )
        username = item.sip_username
        holding = self._owners.get(username) if username else None
        if holding is not None and holding is not replacing:
            what = "phone" if isinstance(holding, Phone) else "mapping gateway"
            raise DuplicateItem(f"username: {username!r} is the SIP username of a {what} already")

    # -- audit and snapshots ---------------------------------------------------------------

    def audit_log(self) -> list[InventoryRecord]:
        """Every change not drained yet (:meth:`drain_audit`), oldest first (a copy)."""
        return list(self._audit)

    def drain_audit(self) -> list[InventoryRecord]:
        """Every audit record since the last call, oldest first, handed over to the host and
        no longer kept; numbering carries on (``seq``)."""
        with self._lock:
            records, self._audit = self._audit, []
            return records

    def _record(
        self, now: datetime, actor: str, action: str, before: Item | None, after: Item | None
    ) -> None:
        item = after if after is not None else before
        assert item is not None
        kind = "phone" if isinstance(item, Phone) else "gateway"
        self._note(now, actor, action, kind, item.key, item.account_id, before, after)

    def _note(
        self,
        now: datetime,
        actor: str,
        action: str,
        kind: str,
        key: str,
        account_id: str,
        before: Item | PhoneCard | None,
        after: Item | PhoneCard | None,
        detail: str = "",
    ) -> None:
        """Append one audit record. Under the lock."""
        self._audit_seq += 1
        self._audit.append(
            InventoryRecord(
                seq=self._audit_seq,
                at=now,
                actor=actor,
                action=action,
                kind=kind,
                key=key,
                account_id=account_id,
                before=before,
                after=after,
                detail=detail,
            )
        )

    def to_dict(self) -> dict[str, Any]:
        """The realm, the algorithms, every phone and gateway (their HA1s: never a clear
        password) and the audit log, as plain JSON-able data; :meth:`from_dict` restores
        exactly this inventory on a directory holding the same accounts."""
        with self._lock:
            return {
                "format": "vosengine.inventory/1",
                "realm": self.realm,
                "algorithms": list(self.algorithms),
                "phones": [self._phones[n].to_dict() for n in sorted(self._phones)],
                "gateways": [self._gateways[i].to_dict() for i in sorted(self._gateways)],
                "batches": dict(sorted(self._batches.items())),
                "cards": [self._cards[s].to_dict() for s in sorted(self._cards)],
                "pin_check": None if self._pin_key is None else pin_digest(self._pin_key, _CHECK),
                "audit": [record.to_dict() for record in self._audit],
            }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        directory: AccountDirectory,
        password_policy: PasswordPolicy | None = None,
        business_time: Callable[[float], datetime] | None = None,
        ledger: Ledger | None = None,
        pin_key: bytes | None = None,
        rng: random.Random | None = None,
    ) -> Self:
        """Rebuild an inventory from :meth:`to_dict`'s data over ``directory`` (restored
        from the same snapshot): every item is checked again -- its fields, that its
        account exists, that no number, DID, username or network is taken twice."""
        if not isinstance(data, Mapping) or data.get("format") != "vosengine.inventory/1":
            raise InvalidArgument("format: expected a 'vosengine.inventory/1' snapshot")
        inventory = cls(
            directory,
            realm=data.get("realm"),  # type: ignore[arg-type]
            algorithms=tuple(data.get("algorithms", ())),
            password_policy=password_policy,
            business_time=business_time,
            ledger=ledger,
            pin_key=pin_key,
            rng=rng,
        )
        for kind, maker in (("phones", Phone.from_dict), ("gateways", MappingGateway.from_dict)):
            for index, raw in enumerate(data.get(kind, ())):
                try:
                    item = maker(raw)
                    directory.get(item.account_id)
                    inventory._check_secrets(item)
                    inventory._check_free(item, None)
                except InvalidArgument as error:
                    raise type(error)(f"{kind}[{index}].{error}") from None
                inventory._index(item)
        inventory._restore_cards(data)
        inventory._audit = [InventoryRecord.from_dict(r) for r in data.get("audit", ())]
        if inventory._audit:
            inventory._audit_seq = inventory._audit[-1].seq
        return inventory

    def snapshot(self, *, directory: AccountDirectory | None = None) -> Self:
        """An independent copy (the audit log included), over ``directory`` (default: the
        same directory)."""
        return type(self).from_dict(
            self.to_dict(),
            directory=self.directory if directory is None else directory,
            password_policy=self.password_policy,
            business_time=self.business_time,
            ledger=self.ledger,
            pin_key=self._pin_key,
            rng=self.rng,
        )

    def _restore_cards(self, data: Mapping[str, Any]) -> None:
        """The cards of a snapshot: refused unless ``pin_key`` is the key their PIN digests
        were made with (``pin_check``)."""
        cards = data.get("cards", ())
        if not cards:
            return
        check = data.get("pin_check")
        if self._pin_key is None or not isinstance(check, str):
            raise InvalidArgument("pin_key: the snapshot holds phone cards; give their pin_key")
        if not hmac.compare_digest(pin_digest(self._pin_key, _CHECK), check):
            raise InvalidArgument("pin_key: it is not the key the snapshot's PINs were kept with")
        batches = check_type(data.get("batches", {}), Mapping, "batches")
        for batch, count in batches.items():
            self._batches[check_name(batch, "batches")] = check_type(
                count, int, f"batches[{batch!r}]"
            )
        for index, raw in enumerate(cards):
            try:
                card = PhoneCard.from_dict(raw)
                if card.serial in self._cards or card.pin_digest in self._pins:
                    raise DuplicateItem(f"serial: card {card.serial!r} or its PIN appears twice")
                if card.batch not in self._batches:
                    raise InvalidArgument(f"batch: {card.batch!r} is not a batch of the snapshot")
                if card.account_id is not None:
                    self.directory.get(card.account_id)
            except InvalidArgument as error:
                raise type(error)(f"cards[{index}].{error}") from None
            self._cards[card.serial] = card
            self._pins[card.pin_digest] = card.serial

    def _check_secrets(self, item: Item) -> None:
        """A digest item holds an HA1 for every algorithm of the inventory; its networks
        are each given once."""
        if item.auth is not AuthMethod.IP:
            missing = [a for a in self.algorithms if a not in item.ha1s]
            if missing:
                what = "phone" if isinstance(item, Phone) else "gateway"
                raise InvalidArgument(
                    f"password: a {what} authenticated by {item.auth.value} needs a password"
                    f" (or ha1s with an HA1 for {', '.join(missing)})"
                )
        keys = [network_key(network) for network in item.networks]
        if len(set(keys)) != len(keys):
            raise InvalidArgument(f"networks: {list(item.networks)!r} names a network twice")

    def _check(self) -> None:
        """Assert every invariant of the indexes (used by the tests)."""
        items: list[Item] = [*self._phones.values(), *self._gateways.values()]
        usernames: dict[str, Item] = {}
        for item in items:
            account = self._sip_account(item)
            if account is not None:
                assert account.username not in usernames, account.username
                usernames[account.username] = item
        assert usernames == self._owners
        assert set(self._credentials) == set(self._owners)
        dids = {did: p.number for p in self._phones.values() for did in p.dids}
        assert dids == self._dids
        networks = [n for g in self._gateways.values() for n in g.networks]
        assert len(self._sources) == len(networks)
        for gateway in self._gateways.values():
            for network in gateway.networks:
                assert self._sources.get(network) is gateway
        assert {card.pin_digest: card.serial for card in self._cards.values()} == self._pins
        assert all(card.batch in self._batches for card in self._cards.values())
        for earlier, record in zip(self._audit, self._audit[1:], strict=False):
            assert record.seq == earlier.seq + 1
