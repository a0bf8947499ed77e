"""The registrar: REGISTER in, response and events out (RFC 3261 §10.3).

The registrar asks the host for the account behind a username through a
:class:`CredentialStore`: any object with a ``lookup(username, now)`` method that returns a
:class:`SipAccount` or None.

Per account, the authentication VOS3000 offers: by **IP** (the source must be one of the
account's addresses), by SIP **digest**, or **both**. A REGISTER without valid credentials
gets 401 with a challenge; a locked, inactive or expired account gets 403. A source on the
blacklist gets 403 for every request before any other work (no parsing, no challenge); the
failure that starts a block gets 403 too, and the block is announced by one ``BLOCKED`` event;
the requests refused while it lasts are counted in :attr:`Registrar.blocked_requests`.

A retransmission -- the same request again on the same transaction (top Via branch and
source), as a UDP client sends when the 200 is late or lost -- gets the response it got the
first time, for :data:`RETRANSMISSION_WINDOW` seconds (Timer J, RFC 3261 §17.2.2), and is never
counted as a failed authentication. A new request that reuses an old nonce count is still a
replay and refused.

Bindings are kept per address of record with their expiry (``Expires`` header or the
contact's ``expires`` parameter, clamped to ``max_expires``; below ``min_expires`` is 423 with
Min-Expires), refreshed, removed with ``Expires: 0`` or ``Contact: *``, and listed by a REGISTER
without Contact. An address of record holds at most ``max_contacts`` contacts; a REGISTER that
would add more gets ``503 Too Many Registered Contacts`` and changes nothing (as Kamailio's
``max_contacts`` does). Call-ID / CSeq ordering follows §10.3 step 7.
:meth:`Registrar.expire` and :meth:`Registrar.next_deadline` drive the host's one timer.
"""

from __future__ import annotations

import enum
import heapq
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import attrs

from .._bounded import drop_oldest
from .._checks import check_address, check_str, check_type, of_type
from .._net import Networks
from .._time import check_seconds
from ..errors import InvalidArgument, InvalidArgumentType
from ._blacklist import Blacklist
from ._digest import DigestAuthenticator, DigestOutcome, _base, _base_name
from ._errors import ParseError
from ._message import Request, Response, make_response
from ._names import parse_uint
from ._parse import parse

__all__ = [
    "AuthMethod",
    "Binding",
    "CredentialStore",
    "RETRANSMISSION_WINDOW",
    "RegistrarEvent",
    "RegistrarEventKind",
    "Registrar",
    "SipAccount",
]

#: How long (seconds) a retransmitted REGISTER gets the response of its first copy: Timer J,
#: 64 * T1 (RFC 3261 §17.2.2).
RETRANSMISSION_WINDOW = 32.0


class AuthMethod(enum.Enum):
    IP = "ip"
    DIGEST = "digest"
    BOTH = "both"


def _ha1_table(value: object) -> Mapping[str, str]:
    """A read-only ``{algorithm: HA1}`` table, keyed by the hash's name (``"MD5"`` for
    ``md5`` and ``MD5-sess``); an unknown algorithm or a value that is no str is an error."""
    if not isinstance(value, Mapping):
        raise InvalidArgumentType(f"ha1s: expected a mapping of algorithm to HA1, got {value!r}")
    table = {}
    for algorithm, stored in value.items():
        _base(check_str(algorithm, "ha1s"))
        table[_base_name(algorithm)] = check_str(stored, f"ha1s[{algorithm!r}]")
    return MappingProxyType(table)


@attrs.frozen(kw_only=True)
class SipAccount:
    """What the registrar needs to know of a user: how it authenticates, its secret (a
    ``password``, a stored ``ha1`` for the first offered algorithm, or ``ha1s``: the stored
    HA1 of each algorithm, by name such as ``"MD5"`` or ``"SHA-256"``), its addresses for IP
    authentication, and whether it may register now (``active``; ``status`` says why not)."""

    username: str = attrs.field(validator=of_type(str))
    auth: AuthMethod = attrs.field(default=AuthMethod.DIGEST, validator=of_type(AuthMethod))
    password: str | None = attrs.field(default=None, validator=of_type(str, optional=True))
    ha1: str | None = attrs.field(default=None, validator=of_type(str, optional=True))
    ha1s: Mapping[str, str] = attrs.field(factory=dict, converter=_ha1_table, hash=False)
    addresses: tuple[str, ...] = ()
    active: bool = attrs.field(default=True, validator=of_type(bool))
    status: str = attrs.field(default="active", validator=of_type(str))
    account_id: str | None = attrs.field(default=None, validator=of_type(str, optional=True))

    _networks: Networks = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_networks", Networks(self.addresses, field="addresses"))

    def secret(self, algorithm: str) -> tuple[str | None, str | None]:
        """``(password, ha1)`` to check a response computed with ``algorithm`` against: the
        HA1 stored for that algorithm when there is one, else ``password`` and ``ha1``."""
        stored = self.ha1s.get(_base_name(algorithm)) if self.ha1s else None
        if stored is not None:
            return None, stored
        return self.password, self.ha1

    def address_allowed(self, ip: str) -> bool:
        """Whether ``ip`` (an IPv4-mapped IPv6 address counts as its IPv4 address) lies in one
        of the account's addresses or networks."""
        return ip in self._networks


@runtime_checkable
class CredentialStore(Protocol):
    """Where the registrar finds the account behind a username: any object with this method
    (no base class needed). The :class:`Registrar` checks it has one at construction.

    ``lookup(username, now)`` returns the user's :class:`SipAccount`, or None when there is no
    such user (the registrar then answers as for a wrong password, so a peer cannot tell
    which usernames exist). ``now`` is the registrar's clock: the monotonic seconds the host
    passes to :meth:`Registrar.handle`, for a store that caches.

    To serve the accounts of a :class:`vosengine.accounts.AccountDirectory`, write a small
    store that maps an account to a :class:`SipAccount` (its status and expiry decide
    ``active``); the directory is not one by itself.

    >>> class Store:
    ...     def __init__(self, *accounts: SipAccount) -> None:
    ...         self.accounts = {a.username: a for a in accounts}
    ...     def lookup(self, username: str, *, now: float) -> SipAccount | None:
    ...         return self.accounts.get(username)
    >>> isinstance(Store(), CredentialStore)
    True
    """

    def lookup(self, username: str, *, now: float) -> SipAccount | None: ...


class RegistrarEventKind(enum.Enum):
    REGISTERED = "registered"
    REFRESHED = "refreshed"
    UNREGISTERED = "unregistered"
    EXPIRED = "expired"
    AUTH_FAILED = "auth_failed"
    BLOCKED = "blocked"


@attrs.frozen(kw_only=True)
class RegistrarEvent:
    kind: RegistrarEventKind
    aor: str | None
    contact: str | None
    source: tuple[str, int]
    at: float
    detail: str = ""


@attrs.frozen(kw_only=True)
class Binding:
    """One registered contact of an address of record."""

    aor: str
    contact: str
    expires_at: float
    call_id: str
    cseq: int
    source: tuple[str, int]
    q: str | None = None


class Registrar:
    """Handles REGISTER requests. Not thread-safe: drive it from one event loop.

    ``max_contacts`` bounds the contacts of one address of record (10 by default);
    ``max_retransmissions`` bounds the responses kept to answer retransmissions (8,192 by
    default: about 4 MB with 400-byte responses; each for :data:`RETRANSMISSION_WINDOW`
    seconds, oldest dropped first; 0 turns the memory off).
    """

    def __init__(
        self,
        store: CredentialStore,
        authenticator: DigestAuthenticator,
        *,
        blacklist: Blacklist | None = None,
        min_expires: int = 60,
        max_expires: int = 3600,
        default_expires: int = 3600,
        max_contacts: int = 10,
        max_retransmissions: int = 8_192,
        server_tag: str = "vosengine",
    ) -> None:
        if not callable(getattr(store, "lookup", None)):
            raise InvalidArgumentType(
                f"store: {type(store).__name__} has no lookup(username, now) method "
                "(see CredentialStore)"
            )
        if not isinstance(authenticator, DigestAuthenticator):
            raise InvalidArgumentType(
                f"authenticator: expected DigestAuthenticator, got {type(authenticator).__name__}"
            )
        if blacklist is not None and not isinstance(blacklist, Blacklist):
            raise InvalidArgumentType(
                f"blacklist: expected Blacklist, got {type(blacklist).__name__}"
            )
        if not 0 < min_expires <= default_expires <= max_expires:
            raise InvalidArgument("expires: need 0 < min_expires <= default_expires <= max_expires")
        if max_contacts < 1 or max_retransmissions < 0:
            raise InvalidArgument("max_contacts: at least 1; max_retransmissions: at least 0")
        self.store = store
        self.authenticator = authenticator
        self.blacklist = blacklist if blacklist is not None else Blacklist()
        self.min_expires = min_expires
        self.max_expires = max_expires
        self.default_expires = default_expires
        self.max_contacts = max_contacts
        self.server_tag = server_tag
        #: requests refused because their source or user was blocked
        self.blocked_requests = 0
        self._bindings: dict[str, dict[str, Binding]] = {}
        self._live = 0  # bindings held, for compacting the deadline heap
        self._deadlines: list[tuple[float, str, str]] = []
        self._events: list[RegistrarEvent] = []
        self._answered = _Answered(max_retransmissions)

    # -- reading ------------------------------------------------------------------------------

    def bindings(self, aor: str) -> list[Binding]:
        """The live bindings of ``aor``, by contact."""
        found = self._bindings.get(check_str(aor, "aor"), {})
        return sorted(found.values(), key=lambda b: b.contact)

    def online(self) -> list[Binding]:
        """Every live binding, by address of record."""
        return [b for aor in sorted(self._bindings) for b in self.bindings(aor)]

    def drain_events(self) -> list[RegistrarEvent]:
        events, self._events = self._events, []
        return events

    def next_deadline(self) -> float | None:
        """When the earliest binding expires (for the host's timer), or None."""
        heap = self._deadlines
        while heap:
            when, aor, contact = heap[0]
            binding = self._bindings.get(aor, {}).get(contact)
            if binding is not None and binding.expires_at == when:
                return when
            heapq.heappop(heap)  # stale entry: refreshed or removed since
        return None

    def expire(self, *, now: float) -> list[Binding]:
        """Remove the bindings whose time has come; returns them (and emits EXPIRED)."""
        now = check_seconds(now)
        gone = []
        heap = self._deadlines
        while heap and heap[0][0] <= now:
            when, aor, contact = heapq.heappop(heap)
            binding = self._bindings.get(aor, {}).get(contact)
            if binding is None or binding.expires_at != when:
                continue
            self._drop(aor, contact)
            gone.append(binding)
            self._emit(RegistrarEventKind.EXPIRED, aor, contact, binding.source, now)
        return gone

    # -- handling -------------------------------------------------------------------------------

    def _emit(
        self,
        kind: RegistrarEventKind,
        aor: str | None,
        contact: str | None,
        source: tuple[str, int],
        now: float,
        detail: str = "",
    ) -> None:
        self._events.append(
            RegistrarEvent(
                kind=kind, aor=aor, contact=contact, source=source, at=now, detail=detail
            )
        )

    def _drop(self, aor: str, contact: str) -> None:
        contacts = self._bindings.get(aor)
        if contacts is not None and contacts.pop(contact, None) is not None:
            self._live -= 1
            if not contacts:
                del self._bindings[aor]

    def _reply(
        self,
        request: Request,
        status: int,
        reason: str = "",
        headers: Iterable[tuple[str, str]] = (),
    ) -> Response:
        return make_response(
            request, status, reason=reason, to_tag=self.server_tag, headers=list(headers)
        )

    def _challenge(self, request: Request, now: float, *, stale: bool = False) -> Response:
        return self._reply(
            request,
            401,
            headers=[
                ("WWW-Authenticate", value)
                for value in self.authenticator.challenge(now=now, stale=stale)
            ],
        )

    def _blocked(self, request: Request) -> Response:
        self.blocked_requests += 1
        return self._reply(request, 403, "Blocked")

    def handle(self, request: Request, source: tuple[str, int], *, now: float) -> Response:
        """Answer one REGISTER from ``source`` (ip, port) at ``now``."""
        now = check_seconds(now)
        check_type(request, Request, "request"), check_address(source, "source")
        if self.blacklist.is_blocked(source[0], now=now) is not None:
            return self._blocked(request)  # before any other work
        if request.method != "REGISTER":
            return self._reply(request, 405, headers=[("Allow", "REGISTER")])
        answered = self._answered
        key = answered.key(request, source)
        if key is not None:
            response = answered.get(key, request, now)
            if response is not None:
                return response  # a retransmission: the same answer, nothing counted
        response = self._handle(request, source, now)
        if key is not None:
            answered.put(key, request, response, now)
        return response

    def _handle(self, request: Request, source: tuple[str, int], now: float) -> Response:
        ip = source[0]
        try:
            request.validate()  # every header a registrar reads, and the Request-URI
            to = request.to
            assert to is not None  # validate() requires it
            aor_uri = to.uri
        except ParseError as error:
            return self._reply(request, error.status, str(error)[:80])
        username = getattr(aor_uri, "user", None)
        aor = aor_uri.aor
        blacklist = self.blacklist
        if (
            username is not None
            and blacklist.user_threshold is not None  # else no user is ever blocked
            and blacklist.is_blocked(ip, now=now, user=username)
        ):
            return self._blocked(request)
        account = self._lookup(username, now) if username else None
        try:
            credentials = request.auth(name="authorization")
        except ParseError as error:
            return self._reply(request, 400, str(error)[:80])
        if account is None:
            if not credentials:
                return self._challenge(request, now)
            return self._fail(request, source, now, aor, username, "unknown user")
        if account.auth in (AuthMethod.IP, AuthMethod.BOTH) and not account.address_allowed(ip):
            return self._fail(
                request,
                source,
                now,
                aor,
                username,
                f"source {ip} is not an address of the account",
                status=403,
            )
        if account.auth in (AuthMethod.DIGEST, AuthMethod.BOTH):
            mine = [c for c in credentials if c.params.get("realm") == self.authenticator.realm]
            if not mine:
                return self._challenge(request, now)
            password, stored = account.secret(mine[0].params.get("algorithm", "MD5"))
            result = (
                self.authenticator.verify(
                    mine[0],
                    method=request.method,
                    now=now,
                    password=password,
                    ha1_value=stored,
                    body=request.body,
                )
                if (password is not None or stored is not None)
                else None
            )
            if result is not None and result.outcome is DigestOutcome.STALE:
                return self._challenge(request, now, stale=True)
            if result is None or not result:  # failed, malformed or replayed: challenge again
                reason = "no secret for the account" if result is None else result.reason
                return self._fail(request, source, now, aor, username, reason)
            if mine[0].params.get("username") != username:
                return self._fail(
                    request,
                    source,
                    now,
                    aor,
                    username,
                    "credentials are for another user",
                    status=403,
                )
        self.blacklist.record_success(ip, now=now, user=username)
        if not account.active:
            return self._reply(request, 403, f"Account {account.status}")
        return self._bind(request, source, now, aor)

    def _lookup(self, username: str, now: float) -> SipAccount | None:
        account = self.store.lookup(username, now=now)
        if account is not None and not isinstance(account, SipAccount):
            raise InvalidArgumentType(
                f"store: lookup({username!r}) returned {type(account).__name__}, "
                "not SipAccount or None"
            )
        return account

    def _fail(
        self,
        request: Request,
        source: tuple[str, int],
        now: float,
        aor: str,
        username: str | None,
        reason: str,
        *,
        status: int = 401,
    ) -> Response:
        """Count a failed authentication; 401 answers with a new challenge, unless this
        failure starts a block: then one BLOCKED event per block, and 403."""
        self._emit(RegistrarEventKind.AUTH_FAILED, aor, None, source, now, reason)
        started = self.blacklist.record_failure(source[0], now=now, user=username)
        for entry in started:
            self._emit(RegistrarEventKind.BLOCKED, aor, None, source, now, entry.reason)
        if started:
            return self._reply(request, 403, "Blocked")
        if status == 401:
            return self._challenge(request, now)
        return self._reply(request, status)

    def _bind(self, request: Request, source: tuple[str, int], now: float, aor: str) -> Response:
        call_id = request.call_id or ""
        cseq = request.cseq.number if request.cseq else 0
        header_expires = request.expires
        current = self._bindings.get(aor, {})
        if request.contact_star:
            if header_expires != 0:
                return self._reply(request, 400, "Contact * needs Expires: 0")
            for binding in current.values():
                if binding.call_id == call_id and cseq <= binding.cseq:
                    return self._reply(request, 500, "Out of order CSeq")
            for uri_text in list(current):
                self._drop(aor, uri_text)
                self._emit(RegistrarEventKind.UNREGISTERED, aor, uri_text, source, now)
            return self._ok(request, aor, now)
        # plan every change first: a refused request changes nothing
        plan: dict[str, tuple[int, str | None]] = {}
        for name_addr in request.contacts:
            raw = name_addr.param("expires")
            expires = (
                parse_uint(raw, "Contact expires", 2**32 - 1) if raw is not None else header_expires
            )
            if expires is None:
                expires = self.default_expires
            if 0 < expires < self.min_expires:
                return self._reply(request, 423, headers=[("Min-Expires", str(self.min_expires))])
            existing = current.get(name_addr.uri_text)
            if existing is not None and existing.call_id == call_id and cseq <= existing.cseq:
                return self._reply(request, 500, "Out of order CSeq")
            plan[name_addr.uri_text] = (min(expires, self.max_expires), name_addr.param("q"))
        if len(current) + len(plan) > self.max_contacts and self._too_many(current, plan):
            return self._reply(request, 503, "Too Many Registered Contacts")
        for contact, (expires, q) in plan.items():
            existing = current.get(contact)
            if expires == 0:
                if existing is not None:
                    self._drop(aor, contact)
                    self._emit(RegistrarEventKind.UNREGISTERED, aor, contact, source, now)
                continue
            binding = Binding(
                aor=aor,
                contact=contact,
                expires_at=now + expires,
                call_id=call_id,
                cseq=cseq,
                source=source,
                q=q,
            )
            contacts = self._bindings.setdefault(aor, {})
            if contact not in contacts:
                self._live += 1
            contacts[contact] = binding
            self._schedule(binding)
            kind = (
                RegistrarEventKind.REGISTERED if existing is None else RegistrarEventKind.REFRESHED
            )
            self._emit(kind, aor, contact, source, now)
        return self._ok(request, aor, now)

    def _too_many(
        self, current: dict[str, Binding], plan: dict[str, tuple[int, str | None]]
    ) -> bool:
        """Whether the contacts kept after ``plan`` would be more than ``max_contacts``."""
        kept = {contact for contact in current if plan.get(contact, (1,))[0] != 0}
        kept.update(contact for contact, (expires, _) in plan.items() if expires != 0)
        return len(kept) > self.max_contacts

    def _schedule(self, binding: Binding) -> None:
        """Add the binding's deadline; when superseded entries outnumber the live bindings,
        rebuild the heap from the live ones (O(n), so O(1) amortized a refresh)."""
        heap = self._deadlines
        heapq.heappush(heap, (binding.expires_at, binding.aor, binding.contact))
        if len(heap) > 2 * self._live + 64:
            heap[:] = [
                (b.expires_at, b.aor, b.contact)
                for contacts in self._bindings.values()
                for b in contacts.values()
            ]
            heapq.heapify(heap)

    def _check(self) -> None:
        """Assert the internal invariants (for tests): the live count, every binding under its
        own keys and within the contact limit, a deadline for each, a valid heap, the bounded
        tables."""
        assert self._live == sum(len(c) for c in self._bindings.values())
        scheduled = set(self._deadlines)
        for aor, contacts in self._bindings.items():
            assert contacts, f"empty contact table for {aor!r}"
            assert len(contacts) <= self.max_contacts, aor
            for contact, binding in contacts.items():
                assert (binding.aor, binding.contact) == (aor, contact)
                assert (binding.expires_at, aor, contact) in scheduled, binding
        heap = self._deadlines
        assert all(heap[(i - 1) // 2] <= heap[i] for i in range(1, len(heap)))
        assert len(heap) <= 2 * self._live + 64
        assert len(self._answered) <= self._answered.limit
        self.blacklist._check()

    def _ok(self, request: Request, aor: str, now: float) -> Response:
        headers = [
            ("Contact", f"<{b.contact}>;expires={max(0, int(b.expires_at - now))}")
            for b in self.bindings(aor)
        ]
        return self._reply(request, 200, headers=headers)


class _Answered:
    """The last response to each recent REGISTER transaction, to answer its retransmissions:
    (source, top Via branch) -> (the hash of the request; the response's bytes; until when),
    oldest first, at most ``limit`` of them, each for RETRANSMISSION_WINDOW
    seconds. The response is kept as bytes (no objects for the garbage collector to walk)
    and parsed again for the rare retransmission."""

    __slots__ = ("_entries", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: OrderedDict[tuple[str, int, str], tuple[int, bytes, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def key(self, request: Request, source: tuple[str, int]) -> tuple[str, int, str] | None:
        """The transaction key, or None when the request has no readable branch."""
        if not self.limit:
            return None
        try:
            via = request.top_via
        except ParseError:
            return None
        branch = via.branch if via is not None else None
        if not branch:
            return None
        return (source[0], source[1], branch)

    @staticmethod
    def _fingerprint(request: Request) -> int:
        # RFC 3261 matches a retransmission by branch, sent-by and method alone; the hash of
        # the whole request (keyed per process, the strings' hashes cached) also tells a new
        # request on a reused branch, without keeping the request
        return hash((request.uri_text, *request.fields, request.body))

    def get(self, key: tuple[str, int, str], request: Request, now: float) -> Response | None:
        entries = self._entries
        drop_oldest(entries, lambda entry: entry[2] <= now)  # up to two that have run out
        entry = entries.get(key)
        if entry is None or entry[2] <= now or entry[0] != self._fingerprint(request):
            return None  # a new request on an old branch is handled as new
        response = parse(entry[1])
        assert isinstance(response, Response)  # bytes this registrar made
        return response

    def put(
        self, key: tuple[str, int, str], request: Request, response: Response, now: float
    ) -> None:
        entries = self._entries
        entries.pop(key, None)
        if len(entries) >= self.limit:
            entries.popitem(last=False)
        # frozen: the host's bytes(response) reuses the serialization kept here
        entries[key] = (self._fingerprint(request), response._freeze(), now + RETRANSMISSION_WINDOW)
