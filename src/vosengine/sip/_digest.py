"""HTTP digest authentication for SIP (RFC 7616, RFC 8760; RFC 3261 §22).

Server side: :class:`DigestAuthenticator` issues challenges and checks credentials. Nonces
are stateless -- ``base64(timestamp ‖ random ‖ HMAC(secret, timestamp ‖ random ‖ realm))`` --
so a restarted switch or a second node with the same secret verifies them, and no two
challenges share one; past ``nonce_lifetime`` a nonce is *stale* and the answer is a new
challenge with ``stale=true``. Replays are refused by remembering the highest ``nc`` seen
per nonce (in this process; a cluster shares nothing here) in a table bounded at
``max_tracked_nonces``: when it is full the nonce issued first is forgotten, and from then on
every nonce issued no later than a forgotten one is *stale* -- never fresh again. Every secret
comparison is constant-time.

Client side: :func:`answer_challenge` computes the Authorization value for a challenge.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import heapq
import hmac
import os
import struct
from collections.abc import Callable, Mapping
from types import MappingProxyType

import attrs

from .._checks import check_str, check_type
from .._time import check_seconds
from ..errors import InvalidArgument
from ._values import Challenge

__all__ = [
    "ALGORITHMS",
    "DigestAuthenticator",
    "DigestOutcome",
    "DigestResult",
    "answer_challenge",
    "digest_response",
    "ha1",
]


def _hasher(name: str) -> Callable[[bytes], str]:
    # hashlib's named constructors (hashlib.md5 ...) skip the look-up hashlib.new does
    constructor = getattr(hashlib, name, None)
    if constructor is None:

        def digest(data: bytes) -> str:
            return hashlib.new(name, data).hexdigest()

    else:

        def digest(data: bytes) -> str:
            return constructor(data).hexdigest()  # type: ignore[no-any-return]

    return digest


#: The digest algorithms, by the name used in the ``algorithm`` parameter.
ALGORITHMS: Mapping[str, Callable[[bytes], str]] = MappingProxyType(
    {
        "MD5": _hasher("md5"),
        "SHA-256": _hasher("sha256"),
        "SHA-512-256": _hasher("sha512_256"),
    }
)


def _base(algorithm: str) -> tuple[Callable[[bytes], str], bool]:
    name = _base_name(check_str(algorithm, "algorithm"))
    session = len(name) != len(algorithm)
    if name not in ALGORITHMS:
        raise InvalidArgument(f"algorithm: {algorithm!r} is not one of {sorted(ALGORITHMS)}")
    return ALGORITHMS[name], session


def _base_name(algorithm: str) -> str:
    """``MD5`` for ``md5`` and ``MD5-sess``: the hash an algorithm name stands for."""
    upper = algorithm.upper()
    return upper[:-5] if upper.endswith("-SESS") else upper


def ha1(username: str, realm: str, password: str, *, algorithm: str = "MD5") -> str:
    """``H(username:realm:password)``: what a credential store may keep instead of the
    password."""
    digest, _ = _base(algorithm)
    for value, name in ((username, "username"), (realm, "realm"), (password, "password")):
        check_str(value, name)
    return digest(f"{username}:{realm}:{password}".encode())


def digest_response(
    *,
    algorithm: str,
    ha1_value: str,
    nonce: str,
    method: str,
    uri: str,
    qop: str | None,
    nc: str | None,
    cnonce: str | None,
    body: bytes = b"",
) -> str:
    """The ``response`` value of RFC 7616 §3.4.1 (``-sess`` and ``auth-int`` included)."""
    digest, session = _base(algorithm)
    for value, name in (
        (ha1_value, "ha1_value"),
        (nonce, "nonce"),
        (method, "method"),
        (uri, "uri"),
    ):
        check_str(value, name)
    for optional, label in ((qop, "qop"), (nc, "nc"), (cnonce, "cnonce")):
        if optional is not None:
            check_str(optional, label)
    check_type(body, (bytes, bytearray), "body")
    key = ha1_value
    if session:
        key = digest(f"{ha1_value}:{nonce}:{cnonce}".encode())
    a2 = f"{method}:{uri}:{digest(body)}" if qop == "auth-int" else f"{method}:{uri}"
    if qop:
        return digest(f"{key}:{nonce}:{nc}:{cnonce}:{qop}:{digest(a2.encode())}".encode())
    return digest(f"{key}:{nonce}:{digest(a2.encode())}".encode())


class DigestOutcome(enum.Enum):
    OK = "ok"
    #: the nonce was ours but is too old: challenge again with stale=true
    STALE = "stale"
    #: the credentials do not match (wrong password, wrong realm, forged nonce ...)
    FAILED = "failed"
    #: a nonce count that was already used: a replay
    REPLAY = "replay"
    #: the credentials are not well formed (missing parameter, unknown algorithm ...)
    MALFORMED = "malformed"


@attrs.frozen(kw_only=True)
class DigestResult:
    """The verdict on a request's credentials: the outcome and why (a verdict: truthy when
    the credentials are good)."""

    outcome: DigestOutcome
    reason: str

    def __bool__(self) -> bool:
        return self.outcome is DigestOutcome.OK

    @property
    def allowed(self) -> bool:
        """Whether the credentials are good (the outcome is ``OK``)."""
        return self.outcome is DigestOutcome.OK


_NONCE_STAMP = struct.Struct(">q")  # signed: any reading check_seconds takes


#: The algorithms from the most preferred (strongest) to the least: several offered
#: challenges are listed in this order (RFC 8760 §2.4, RFC 7616 §3.7).
PREFERENCE = ("SHA-512-256", "SHA-256", "MD5")


class DigestAuthenticator:
    """Issues digest challenges for ``realm`` and verifies credentials against them.

    ``secret`` keys the nonce HMAC (share it between nodes that must accept each other's
    nonces). ``algorithms`` are the ones offered, one WWW-Authenticate each, listed strongest
    first whatever the order given. The default, ``("MD5",)``, is what the clients a switch
    meets compute (and what Kamailio and VOS3000 challenge with); many phones take only the
    first challenge and give up when they cannot compute it, so offer ``("SHA-256", "MD5")``
    or ``("SHA-512-256", "SHA-256", "MD5")`` only where the clients are known to cope.

    ``qop`` is ``("auth",)`` by default, or ``("auth", "auth-int")`` to offer both. Without
    ``qop`` (RFC 2069 style) a response covers no client nonce count, so nothing tells a
    replay from the client's next request: ``qop=()`` is refused unless ``allow_no_qop=True``
    says the host wants it, and then each nonce is accepted once (a client takes a new
    challenge for every request).

    ``max_tracked_nonces`` bounds the replay table; look-ups, insertions and evictions cost
    O(1) or O(log n) whatever it holds. ``now`` everywhere is seconds (float or int) from any
    fixed epoch, the same monotonic clock for every call.

    Not thread-safe (the replay table is plain state): use one per thread or a lock.
    """

    def __init__(
        self,
        realm: str,
        secret: bytes,
        *,
        algorithms: tuple[str, ...] = ("MD5",),
        qop: tuple[str, ...] = ("auth",),
        allow_no_qop: bool = False,
        nonce_lifetime: float = 300,
        opaque: str | None = None,
        max_tracked_nonces: int = 100_000,
    ) -> None:
        if not isinstance(realm, str) or not realm or any(c in realm for c in '"\\\r\n'):
            raise InvalidArgument(f"realm: {realm!r} is empty or holds a quote or line break")
        if not isinstance(secret, bytes) or len(secret) < 16:
            raise InvalidArgument("secret: expected at least 16 random bytes")
        for algorithm in algorithms:
            _base(algorithm)
        if not algorithms:
            raise InvalidArgument("algorithms: offer at least one")
        for option in qop:
            if option not in ("auth", "auth-int"):
                raise InvalidArgument(f"qop: {option!r} is not 'auth' or 'auth-int'")
        if not qop and not allow_no_qop:
            raise InvalidArgument(
                "qop: without qop a replayed response cannot be told from a new one; "
                "pass allow_no_qop=True to accept each nonce once instead"
            )
        if nonce_lifetime <= 0:
            raise InvalidArgument(f"nonce_lifetime: {nonce_lifetime} is not positive")
        if opaque is not None and any(c in opaque for c in '"\\\r\n'):
            raise InvalidArgument(f"opaque: {opaque!r} holds a quote or line break")
        if max_tracked_nonces < 1:
            raise InvalidArgument(f"max_tracked_nonces: {max_tracked_nonces} is not positive")
        self.realm = realm
        self._secret = secret
        self._algorithms = tuple(
            sorted(dict.fromkeys(algorithms), key=lambda name: PREFERENCE.index(_base_name(name)))
        )
        self._offered = frozenset(_base_name(name) for name in algorithms)
        self.qop = tuple(qop)
        self.nonce_lifetime = nonce_lifetime
        self.opaque = opaque
        self._seen = _NonceTable(max_tracked_nonces)

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The algorithms offered, in order (fixed at construction)."""
        return self._algorithms

    # -- nonces ---------------------------------------------------------------------------------

    def _mac(self, stamp: bytes) -> bytes:
        return hmac.new(self._secret, stamp + self.realm.encode(), hashlib.sha256).digest()[:16]

    def nonce(self, *, now: float) -> str:
        """A fresh nonce for ``now``: microsecond timestamp, 8 random bytes and their HMAC, so
        two challenges in the same tick (or on two nodes) never share a nonce."""
        now = check_seconds(now)
        stamp = _NONCE_STAMP.pack(int(now * 1_000_000)) + os.urandom(8)
        return base64.urlsafe_b64encode(stamp + self._mac(stamp)).decode().rstrip("=")

    def _nonce_time(self, nonce: str) -> float | None:
        """When ``nonce`` was issued, or None when it is not one of ours. A nonce of the
        earlier format (timestamp and HMAC, no random part), which phones still hold after an
        upgrade, is ours but issued at -inf: stale, so the phone is challenged again with
        ``stale=true`` instead of being counted as a failed authentication."""
        if len(nonce) not in (_NONCE_CHARS, _OLD_NONCE_CHARS):
            return None
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except (ValueError, TypeError):
            return None
        if len(raw) == 24:
            stamp, mac = raw[:8], raw[8:]
            return float("-inf") if hmac.compare_digest(mac, self._mac(stamp)) else None
        if len(raw) != 32:
            return None
        stamp, mac = raw[:16], raw[16:]
        if not hmac.compare_digest(mac, self._mac(stamp)):
            return None
        return float(_NONCE_STAMP.unpack(stamp[:8])[0]) / 1_000_000

    # -- challenges ------------------------------------------------------------------------------

    def challenge(self, *, now: float, stale: bool = False) -> list[str]:
        """WWW-Authenticate (or Proxy-Authenticate) values, one per offered algorithm."""
        now = check_seconds(now)
        nonce = self.nonce(now=now)
        out = []
        for algorithm in self.algorithms:
            parts = [f'realm="{self.realm}"', f'nonce="{nonce}"']
            if self.opaque is not None:
                parts.append(f'opaque="{self.opaque}"')
            if stale:
                parts.append("stale=true")
            parts.append(f"algorithm={algorithm}")
            if self.qop:
                parts.append(f'qop="{",".join(self.qop)}"')
            out.append("Digest " + ", ".join(parts))
        return out

    # -- verification ----------------------------------------------------------------------------

    def verify(
        self,
        credentials: Challenge,
        *,
        method: str,
        now: float,
        password: str | None = None,
        ha1_value: str | None = None,
        body: bytes = b"",
    ) -> DigestResult:
        """Check Authorization ``credentials`` for a request with ``method`` (and ``body``,
        for auth-int) against the user's ``password`` or stored ``ha1_value``."""
        now = check_seconds(now)
        params = check_type(credentials, Challenge, "credentials").params
        if credentials.scheme.lower() != "digest":
            return _result(DigestOutcome.MALFORMED, f"scheme {credentials.scheme!r}")
        for name in ("username", "realm", "nonce", "uri", "response"):
            if name not in params:
                return _result(DigestOutcome.MALFORMED, f"missing {name}")
        algorithm = params.get("algorithm", "MD5")
        try:
            _base(algorithm)
        except InvalidArgument:
            return _result(DigestOutcome.MALFORMED, f"unknown algorithm {algorithm!r}")
        if _base_name(algorithm) not in self._offered:
            return _result(DigestOutcome.FAILED, f"algorithm {algorithm!r} was not offered")
        if params["realm"] != self.realm:
            return _result(DigestOutcome.FAILED, f"realm {params['realm']!r} is not ours")
        if self.opaque is not None and not hmac.compare_digest(
            params.get("opaque", "").encode(), self.opaque.encode()
        ):
            return _result(DigestOutcome.FAILED, "opaque does not match")
        qop = params.get("qop")
        nc = params.get("nc")
        cnonce = params.get("cnonce")
        if qop is not None:
            if qop not in self.qop:
                return _result(DigestOutcome.FAILED, f"qop {qop!r} was not offered")
            if nc is None or cnonce is None or len(nc) != 8:
                return _result(DigestOutcome.MALFORMED, "qop needs nc (8 hex digits) and cnonce")
            if not all(c in _HEX for c in nc):
                return _result(DigestOutcome.MALFORMED, f"nc {nc!r} is not hexadecimal")
            count = int(nc, 16)
        elif self.qop:
            return _result(DigestOutcome.FAILED, "qop is required")
        else:
            count = 0
        nonce = params["nonce"]
        seen = self._seen
        known = seen.get(nonce)  # a nonce whose MAC was checked before
        issued = known[0] if known is not None else self._nonce_time(nonce)
        if issued is None:
            return _result(DigestOutcome.FAILED, "the nonce is not one of ours")
        if password is None and ha1_value is None:
            raise InvalidArgument("verify: give the user's password or its ha1_value")
        key = (
            ha1_value
            if ha1_value is not None
            else ha1(
                params["username"], self.realm, password or "", algorithm=_base_name(algorithm)
            )
        )
        expected = digest_response(
            algorithm=algorithm,
            ha1_value=key,
            nonce=nonce,
            method=method,
            uri=params["uri"],
            qop=qop,
            nc=nc,
            cnonce=cnonce,
            body=body,
        )
        if not hmac.compare_digest(expected.encode(), params["response"].lower().encode()):
            return _result(DigestOutcome.FAILED, "the response does not match")
        seen.expire(now - self.nonce_lifetime)
        if now - issued > self.nonce_lifetime:
            return _result(DigestOutcome.STALE, "the nonce has expired")
        if known is None and issued <= seen.floor:
            return _result(DigestOutcome.STALE, "the nonce was forgotten to bound the table")
        if known is not None and count <= known[1]:
            return _result(DigestOutcome.REPLAY, f"nonce count {nc or 'none'} was used already")
        seen.remember(nonce, issued, count)
        return _result(DigestOutcome.OK, "authenticated")


_HEX = frozenset("0123456789abcdefABCDEF")
_NONCE_CHARS = 43  # 32 bytes, base64 without padding
_OLD_NONCE_CHARS = 32  # 24 bytes: the format before nonces carried a random part


class _NonceTable:
    """The nonces in use: nonce -> (issued, highest nonce count), at most ``limit`` of them,
    with a heap by issue time for expiry and eviction. ``floor`` is the latest issue time of
    a nonce forgotten while still in its lifetime: a nonce issued no later than that and not
    in the table may have been evicted, so it is never taken as fresh."""

    __slots__ = ("_by_issue", "_entries", "floor", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: dict[str, tuple[float, int]] = {}
        self._by_issue: list[tuple[float, str]] = []
        self.floor = float("-inf")

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, nonce: str) -> tuple[float, int] | None:
        return self._entries.get(nonce)

    def remember(self, nonce: str, issued: float, count: int) -> None:
        entries = self._entries
        if nonce not in entries:
            if len(entries) >= self.limit:  # full: forget the nonce issued first
                first, old = heapq.heappop(self._by_issue)
                del entries[old]
                self.floor = max(self.floor, first)
            heapq.heappush(self._by_issue, (issued, nonce))
        entries[nonce] = (issued, count)

    def expire(self, horizon: float) -> None:
        """Forget the nonces issued before ``horizon``: stale by their age anyway."""
        heap, entries = self._by_issue, self._entries
        while heap and heap[0][0] < horizon:
            del entries[heapq.heappop(heap)[1]]


def _result(outcome: DigestOutcome, reason: str) -> DigestResult:
    return DigestResult(outcome=outcome, reason=reason)


def answer_challenge(
    challenge: Challenge,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    cnonce: str,
    nc: int = 1,
    body: bytes = b"",
) -> str:
    """The Authorization value answering a WWW-Authenticate ``challenge`` (the client side).
    ``cnonce`` is the caller's random string; ``nc`` the count of requests on this nonce."""
    params = check_type(challenge, Challenge, "challenge").params
    check_type(nc, int, "nc")
    algorithm = params.get("algorithm", "MD5")
    realm, nonce = params["realm"], params["nonce"]
    offered = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
    qop = "auth" if "auth" in offered else ("auth-int" if "auth-int" in offered else None)
    nc_text = f"{nc:08x}"
    response = digest_response(
        algorithm=algorithm,
        ha1_value=ha1(username, realm, password, algorithm=_base_name(algorithm)),
        nonce=nonce,
        method=method,
        uri=uri,
        qop=qop,
        nc=nc_text if qop else None,
        cnonce=cnonce if qop else None,
        body=body,
    )
    parts = [
        f'username="{username}"',
        f'realm="{realm}"',
        f'nonce="{nonce}"',
        f'uri="{uri}"',
        f'response="{response}"',
        f"algorithm={algorithm}",
    ]
    if qop:
        parts += [f"qop={qop}", f"nc={nc_text}", f'cnonce="{cnonce}"']
    if "opaque" in params:
        parts.append(f'opaque="{params["opaque"]}"')
    return "Digest " + ", ".join(parts)
