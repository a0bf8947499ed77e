"""The registrar: REGISTER in, response and events out (RFC 3261 §10.3).

The registrar asks the host for the account behind a username through a
:class:`CredentialStore` (any object with ``lookup(username, now)``), so it works with
:class:`vosengine.accounts.AccountDirectory` or anything else.

Per account, the authentication VOS3000 offers: by **IP** (the source must be one of the
account's addresses), by SIP **digest**, or **both**. A REGISTER without valid credentials
gets 401 with a challenge; a locked, inactive or expired account gets 403; a source on the
blacklist gets 403 without a challenge. Bindings are kept per address of record with their
expiry (``Expires`` header or the contact's ``expires`` parameter, clamped to
``max_expires``; below ``min_expires`` is 423 with Min-Expires), refreshed, removed with
``Expires: 0`` or ``Contact: *``, and listed by a REGISTER without Contact. Call-ID / CSeq
ordering follows §10.3 step 7. :meth:`Registrar.expire` and :meth:`Registrar.next_deadline`
drive the host's one timer.
"""

from __future__ import annotations

import enum
import heapq
import ipaddress
from collections.abc import Iterable
from typing import Protocol

import attrs

from ..errors import InvalidArgument
from ._blacklist import Blacklist, normalize_ip
from ._digest import DigestAuthenticator, DigestOutcome
from ._errors import ParseError
from ._message import Request, Response, make_response

__all__ = [
    "AuthMethod",
    "Binding",
    "CredentialStore",
    "RegistrarEvent",
    "RegistrarEventKind",
    "Registrar",
    "SipAccount",
]


class AuthMethod(enum.Enum):
    IP = "ip"
    DIGEST = "digest"
    BOTH = "both"


@attrs.frozen(kw_only=True)
class SipAccount:
    """What the registrar needs to know of a user: how it authenticates, its secret (a
    ``password`` or a stored ``ha1`` for the first offered algorithm), its addresses for IP
    authentication, and whether it may register now (``active``; ``status`` says why not)."""

    username: str
    auth: AuthMethod = AuthMethod.DIGEST
    password: str | None = None
    ha1: str | None = None
    addresses: tuple[str, ...] = ()
    active: bool = True
    status: str = "active"
    account_id: str | None = None

    def address_allowed(self, ip: str) -> bool:
        """Whether ``ip`` (an IPv4-mapped IPv6 address counts as its IPv4 address) lies in one
        of the account's addresses or networks."""
        try:
            address = ipaddress.ip_address(normalize_ip(ip))
        except ValueError:
            return False
        for item in self.addresses:
            try:
                if address in ipaddress.ip_network(item, strict=False):
                    return True
            except ValueError:
                continue
        return False


class CredentialStore(Protocol):
    def lookup(self, username: str, now: float) -> SipAccount | None: ...


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
    """Handles REGISTER requests. Not thread-safe: drive it from one event loop."""

    def __init__(
        self,
        store: CredentialStore,
        authenticator: DigestAuthenticator,
        *,
        blacklist: Blacklist | None = None,
        min_expires: int = 60,
        max_expires: int = 3600,
        default_expires: int = 3600,
        server_tag: str = "vosengine",
    ) -> None:
        if not 0 < min_expires <= default_expires <= max_expires:
            raise InvalidArgument("expires: need 0 < min_expires <= default_expires <= max_expires")
        self.store = store
        self.authenticator = authenticator
        self.blacklist = blacklist if blacklist is not None else Blacklist()
        self.min_expires = min_expires
        self.max_expires = max_expires
        self.default_expires = default_expires
        self.server_tag = server_tag
        self._bindings: dict[str, dict[str, Binding]] = {}
        self._deadlines: list[tuple[float, str, str]] = []
        self._events: list[RegistrarEvent] = []

    # -- reading ------------------------------------------------------------------------------

    def bindings(self, aor: str) -> list[Binding]:
        return sorted(self._bindings.get(aor, {}).values(), key=lambda b: b.contact)

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

    def expire(self, now: float) -> list[Binding]:
        """Remove the bindings whose time has come; returns them (and emits EXPIRED)."""
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
        if contacts is not None:
            contacts.pop(contact, None)
            if not contacts:
                del self._bindings[aor]

    def _reply(
        self,
        request: Request,
        status: int,
        reason: str = "",
        headers: Iterable[tuple[str, str]] = (),
    ) -> Response:
        return make_response(request, status, reason, to_tag=self.server_tag, headers=list(headers))

    def _challenge(self, request: Request, now: float, *, stale: bool = False) -> Response:
        return self._reply(
            request,
            401,
            headers=[
                ("WWW-Authenticate", value)
                for value in self.authenticator.challenge(now, stale=stale)
            ],
        )

    def handle(self, request: Request, source: tuple[str, int], now: float) -> Response:
        """Answer one REGISTER from ``source`` (ip, port) at ``now``."""
        ip = source[0]
        if request.method != "REGISTER":
            return self._reply(request, 405, headers=[("Allow", "REGISTER")])
        try:
            request.validate()  # every header a registrar reads, and the Request-URI
            to = request.to
            assert to is not None  # validate() requires it
            aor_uri = to.uri
        except ParseError as error:
            return self._reply(request, error.status, str(error)[:80])
        username = getattr(aor_uri, "user", None)
        aor = aor_uri.aor
        block = self.blacklist.is_blocked(ip, now, user=username)
        if block is not None:
            self._emit(RegistrarEventKind.BLOCKED, aor, None, source, now, block.reason)
            return self._reply(request, 403, "Blocked")
        account = self.store.lookup(username, now) if username else None
        try:
            credentials = request.auth("authorization")
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
            result = (
                self.authenticator.verify(
                    mine[0],
                    method=request.method,
                    now=now,
                    password=account.password,
                    ha1_value=account.ha1,
                    body=request.body,
                )
                if (account.password is not None or account.ha1 is not None)
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
        self.blacklist.record_success(ip, now, user=username)
        if not account.active:
            return self._reply(request, 403, f"Account {account.status}")
        return self._bind(request, source, now, aor)

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
        """Count a failed authentication; 401 answers with a new challenge."""
        self._emit(RegistrarEventKind.AUTH_FAILED, aor, None, source, now, reason)
        for entry in self.blacklist.record_failure(source[0], now, user=username):
            self._emit(RegistrarEventKind.BLOCKED, aor, None, source, now, entry.reason)
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
        plan: list[tuple[str, int, str | None]] = []
        for name_addr in request.contacts:
            raw = name_addr.param("expires")
            expires = int(raw) if raw is not None else header_expires
            if expires is None:
                expires = self.default_expires
            if 0 < expires < self.min_expires:
                return self._reply(request, 423, headers=[("Min-Expires", str(self.min_expires))])
            existing = current.get(name_addr.uri_text)
            if existing is not None and existing.call_id == call_id and cseq <= existing.cseq:
                return self._reply(request, 500, "Out of order CSeq")
            plan.append((name_addr.uri_text, min(expires, self.max_expires), name_addr.param("q")))
        for contact, expires, q in plan:
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
            self._bindings.setdefault(aor, {})[contact] = binding
            heapq.heappush(self._deadlines, (binding.expires_at, aor, contact))
            kind = (
                RegistrarEventKind.REGISTERED if existing is None else RegistrarEventKind.REFRESHED
            )
            self._emit(kind, aor, contact, source, now)
        return self._ok(request, aor, now)

    def _ok(self, request: Request, aor: str, now: float) -> Response:
        headers = [
            ("Contact", f"<{b.contact}>;expires={max(0, int(b.expires_at - now))}")
            for b in self.bindings(aor)
        ]
        return self._reply(request, 200, headers=headers)
