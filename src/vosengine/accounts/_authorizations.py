"""The eight agent authorizations of VOS3000, their templates, and what each agent action
needs: the authorization, and where its target may stand relative to the acting agent."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from .._checks import check_items, check_str
from ..errors import InvalidArgument

__all__ = [
    "ALL_AUTHORIZATIONS",
    "CALLING_CARD",
    "FULL",
    "REQUIRED_AUTHORIZATION",
    "RETAIL",
    "SIP_TRUNK_PROVIDER",
    "TARGET_RULE",
    "AUTHORIZATION_TEMPLATES",
    "TEMPLATES",
    "WHOLESALE",
    "AgentAction",
    "Authorization",
]


class Authorization(enum.Flag):
    """The eight agent authorizations of VOS3000."""

    NONE = 0
    #: add / delete / modify account
    ACCOUNT = enum.auto()
    #: add / delete / modify phone
    PHONE = enum.auto()
    #: add / delete / modify phone card
    PHONE_CARD = enum.auto()
    #: add / delete gateway
    GATEWAY = enum.auto()
    #: modify gateway information
    GATEWAY_INFO = enum.auto()
    #: modify gateway capacity
    GATEWAY_CAPACITY = enum.auto()
    #: payment for this account
    PAYMENT_SELF = enum.auto()
    #: payment for sub accounts
    PAYMENT_SUB = enum.auto()

    @classmethod
    def parse(cls, names: Iterable[str] | str) -> Authorization:
        """Flags from names (``"account"``, ``"PAYMENT_SUB"`` ...); an unknown name is an error."""
        if isinstance(names, str):
            names = [names]
        result = cls.NONE
        for name in check_items(names, "authorizations", check_str):
            member = cls.__members__.get(name.upper())
            if member is None:
                known = ", ".join(n.lower() for n in cls.__members__ if n != "NONE")
                raise InvalidArgument(
                    f"authorizations: unknown authorization {name!r}; known: {known}"
                )
            result |= member
        return result

    def names(self) -> list[str]:
        """The lower-case names of the flags set, in declaration order."""
        return [m.name.lower() for m in type(self) if m.name and m & self and m.value]


ALL_AUTHORIZATIONS = (
    Authorization.ACCOUNT
    | Authorization.PHONE
    | Authorization.PHONE_CARD
    | Authorization.GATEWAY
    | Authorization.GATEWAY_INFO
    | Authorization.GATEWAY_CAPACITY
    | Authorization.PAYMENT_SELF
    | Authorization.PAYMENT_SUB
)
RETAIL = (
    Authorization.ACCOUNT
    | Authorization.PHONE
    | Authorization.PAYMENT_SUB
    | Authorization.PAYMENT_SELF
)
WHOLESALE = (
    Authorization.ACCOUNT
    | Authorization.GATEWAY
    | Authorization.GATEWAY_INFO
    | Authorization.GATEWAY_CAPACITY
    | Authorization.PAYMENT_SUB
)
CALLING_CARD = (
    Authorization.ACCOUNT
    | Authorization.PHONE_CARD
    | Authorization.PAYMENT_SELF
    | Authorization.PAYMENT_SUB
)
SIP_TRUNK_PROVIDER = ALL_AUTHORIZATIONS & ~Authorization.PHONE_CARD
FULL = ALL_AUTHORIZATIONS
#: The authorization templates in common use, by name.
AUTHORIZATION_TEMPLATES: Mapping[str, Authorization] = MappingProxyType(
    {
        "retail": RETAIL,
        "wholesale": WHOLESALE,
        "calling_card": CALLING_CARD,
        "sip_trunk_provider": SIP_TRUNK_PROVIDER,
        "full": FULL,
    }
)


class AgentAction(enum.Enum):
    """What an agent may try to do to an account (or to a phone, card or gateway it owns)."""

    VIEW = "view"
    ADD_ACCOUNT = "add_account"
    DELETE_ACCOUNT = "delete_account"
    MODIFY_ACCOUNT = "modify_account"
    ADD_PHONE = "add_phone"
    DELETE_PHONE = "delete_phone"
    MODIFY_PHONE = "modify_phone"
    ADD_PHONE_CARD = "add_phone_card"
    DELETE_PHONE_CARD = "delete_phone_card"
    MODIFY_PHONE_CARD = "modify_phone_card"
    ADD_GATEWAY = "add_gateway"
    DELETE_GATEWAY = "delete_gateway"
    MODIFY_GATEWAY_INFO = "modify_gateway_info"
    MODIFY_GATEWAY_CAPACITY = "modify_gateway_capacity"
    PAY_SELF = "pay_self"
    PAY_SUB = "pay_sub"


_A = AgentAction
#: The authorization each action needs.
REQUIRED_AUTHORIZATION: Mapping[AgentAction, Authorization] = MappingProxyType(
    {
        _A.VIEW: Authorization.NONE,
        _A.ADD_ACCOUNT: Authorization.ACCOUNT,
        _A.DELETE_ACCOUNT: Authorization.ACCOUNT,
        _A.MODIFY_ACCOUNT: Authorization.ACCOUNT,
        _A.ADD_PHONE: Authorization.PHONE,
        _A.DELETE_PHONE: Authorization.PHONE,
        _A.MODIFY_PHONE: Authorization.PHONE,
        _A.ADD_PHONE_CARD: Authorization.PHONE_CARD,
        _A.DELETE_PHONE_CARD: Authorization.PHONE_CARD,
        _A.MODIFY_PHONE_CARD: Authorization.PHONE_CARD,
        _A.ADD_GATEWAY: Authorization.GATEWAY,
        _A.DELETE_GATEWAY: Authorization.GATEWAY,
        _A.MODIFY_GATEWAY_INFO: Authorization.GATEWAY_INFO,
        _A.MODIFY_GATEWAY_CAPACITY: Authorization.GATEWAY_CAPACITY,
        _A.PAY_SELF: Authorization.PAYMENT_SELF,
        _A.PAY_SUB: Authorization.PAYMENT_SUB,
    }
)
# Where the target may stand relative to the acting agent:
#   "self"  -- the agent itself only;  "sub" -- strictly below it;
#   "own"   -- itself or below it (an account's phones, cards and gateways; a new account's
#              parent; viewing).
TARGET_RULE: Mapping[AgentAction, str] = MappingProxyType(
    {
        _A.VIEW: "own",
        _A.ADD_ACCOUNT: "own",
        _A.DELETE_ACCOUNT: "sub",
        _A.MODIFY_ACCOUNT: "sub",
        _A.PAY_SELF: "self",
        _A.PAY_SUB: "sub",
    }
)

#: The old name of :data:`AUTHORIZATION_TEMPLATES`, kept until the next minor release.
TEMPLATES = AUTHORIZATION_TEMPLATES
