"""SIP messages: RFC 4475 torture tests, round trips, URIs, stream framing, fuzzing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vosengine import VosEngineError
from vosengine.sip import (
    LocalProtocolError,
    ParseError,
    Request,
    Response,
    SipUri,
    StreamFramer,
    TelUri,
    _message,
    make_response,
    parse,
    parse_uri,
)

pytestmark = pytest.mark.usefixtures("sip_impl")


def msg(text: str, body: bytes = b"") -> bytes:
    """Lines joined with CRLF (the test texts use LF), then the body."""
    return text.replace("\n", "\r\n").encode("utf-8") + body


SDP = b"v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\nm=audio 49217 RTP/AVP 0 12\r\nm=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n"  # noqa: E501

# -- RFC 4475 §3.1.1: valid messages ---------------------------------------------------------

WSINV = msg(
    "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\n"
    "TO :\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\n"
    'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>\n  ;\n  tag = 98asjd8\n'
    "MaX-fOrWaRdS: 0068\n"
    "Call-ID: wsinv.ndaksdj@192.0.2.1\n"
    "Content-Length   : 150\n"
    "cseq: 0009\n  INVITE\n"
    "Via  : SIP  /   2.0\n /UDP\n    192.0.2.2;branch=390skdjuw\n"
    "s :\n"
    "NewFangledHeader:   newfangled value\n continued newfangled value\n"
    "UnknownHeaderWithUnusualValue: ;;,,;;,;\n"
    "Content-Type: application/sdp\n"
    "Route:\n <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\n"
    "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\n  branch  =   z9hG4bK9ikj8  ,\n"
    " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\n z9hG4bK30239\n"
    'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =\n      newvalue ;\n'
    "  secondparam ; q = 0.33\n\n",
    SDP,
)


INTMETH = msg(
    "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/"
    "crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0\n"
    "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\n"
    'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/'
    "crazy?,/;;*@example.com>\n"
    "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="
    '"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439";tag=_token~1\'+`*%!-.\n'
    "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\n"
    "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\n"
    "Max-Forwards: 255\n"
    "extensionHeader-!.%*+_`'~:\ufeff\u5927\u5bae\u96fb\n"
    "Content-Length: 0\n\n"
)

ESCNULL = msg(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:null-%00-null@example.com\n"
    "From: sip:null-%00-null@example.com;tag=839923423\n"
    "Max-Forwards: 70\n"
    "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd\n"
    "CSeq: 14398234 REGISTER\n"
    "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\n"
    "Contact: <sip:%00@host5.example.com>\n"
    "Contact: <sip:%00%00@host5.example.com>\n"
    "L:0\n\n"
)

ESC02 = msg(
    "RE%47IST%45R sip:registrar.example.com SIP/2.0\n"
    'To: "%Z%45" <sip:resource@example.com>\n'
    'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23\n'
    "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf\n"
    "Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234\n"
    "CSeq: 29344 RE%47IST%45R\n"
    "Max-Forwards: 70\n"
    "Contact: <sip:alias1@host1.example.com>\n"
    "C%6Fntact: <sip:alias2@host2.example.com>\n"
    "Contact: <sip:alias3@host3.example.com>\n"
    "l: 0\n\n"
)

LWSDISP = msg(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: caller<sip:caller@example.com>;tag=323\n"
    "Max-Forwards: 70\n"
    "Call-ID: lwsdisp.1234abcd@funky.example.com\n"
    "CSeq: 60 OPTIONS\n"
    "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw\n"
    "l: 0\n\n"
)

SEMIURI = msg(
    "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0\n"
    "To: sip:j_user@example.com\n"
    "From: sip:caller@example.org;tag=33242\n"
    "Max-Forwards: 3\n"
    "Call-ID: semiuri.0ha0isndaksdj\n"
    "CSeq: 8 OPTIONS\n"
    "Accept: application/sdp, application/pkcs7-mime,\n multipart/mixed, multipart/signed,\n"
    " message/sip, message/sipfrag\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw\n"
    "l: 0\n\n"
)

TRANSPORTS = msg(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: <sip:caller@example.com>;tag=323\n"
    "Max-Forwards: 70\n"
    "Call-ID:  transports.kijh4akdnaqjkwendsasfdj\n"
    "Accept: application/sdp\n"
    "CSeq: 60 OPTIONS\n"
    "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw\n"
    "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf\n"
    "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj\n"
    "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en\n"
    "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee\n"
    "l: 0\n\n"
)

#: RFC 4475 §3.1.1 requests that parse and validate, by name
VALID_REQUESTS = {
    "wsinv": WSINV,
    "intmeth": INTMETH,
    "escnull": ESCNULL,
    "esc02": ESC02,
    "lwsdisp": LWSDISP,
    "semiuri": SEMIURI,
    "transports": TRANSPORTS,
}


def test_wsinv_short_tortuous_invite() -> None:
    m = parse(WSINV)
    m.validate()
    assert isinstance(m, Request)
    assert m.method == "INVITE"
    uri = m.uri
    assert isinstance(uri, SipUri)
    assert (uri.user, uri.host, uri.params) == (
        "vivekg",
        "chair-dnrc.example.com",
        (("unknownparam", None),),
    )
    assert m.to is not None and m.to.tag == "1918181833n"
    assert m.to.display_name is None
    assert m.from_ is not None and m.from_.display_name == 'J Rosenberg \\"'
    assert m.from_.tag == "98asjd8"
    assert m.max_forwards == 68
    assert m.call_id == "wsinv.ndaksdj@192.0.2.1"
    assert m.cseq is not None and (m.cseq.number, m.cseq.method) == (9, "INVITE")
    assert [(v.transport, v.host, v.branch) for v in m.via] == [
        ("UDP", "192.0.2.2", "390skdjuw"),
        ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239"),
    ]
    assert m.header("subject") == ""
    assert m.header("newfangledheader") == "newfangled value continued newfangled value"
    assert m.header("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    [contact] = m.contacts
    assert contact.display_name == 'Quoted string ""'
    assert contact.params == (("newparam", "newvalue"), ("secondparam", None), ("q", "0.33"))
    assert len(m.body) == 150
    assert m.body == SDP[:150]


def test_intmeth_wide_range_of_valid_characters() -> None:
    m = parse(INTMETH)
    m.validate()
    assert isinstance(m, Request)
    assert m.method == "!interesting-Method0123456789_*+`.%indeed'~"
    uri = m.uri
    assert isinstance(uri, SipUri)
    assert uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert m.top_via is not None and m.top_via.branch == "z9hG4bK-.!%66*_+`'~"
    assert m.to is not None and m.to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert m.from_ is not None and m.from_.display_name == "token1~` token2'+_ token3*%!.-"
    assert m.from_.tag == "_token~1'+`*%!-."
    assert m.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert m.header("extensionHeader-!.%*+_`'~") == "\ufeff\u5927\u5bae\u96fb"


def test_esc01_valid_percent_escapes() -> None:
    raw = (
        "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0\n"
        "To: sip:%75se%72@example.com\n"
        "From: <sip:I%20have%20spaces@example.net>;tag=938\n"
        "Max-Forwards: 87\n"
        "i: esc01.239409asdfakjkn23onasd0-3234\n"
        "CSeq: 234234 INVITE\n"
        "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw\n"
        "C: application/sdp\n"
        "Contact:\n  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\n"
        "Content-Length: 150\n\n"
    )
    m = parse(msg(raw, SDP))
    m.validate()
    assert m.uri.user == "sips:user@example.com"  # type: ignore[union-attr]
    assert m.to is not None and m.to.uri.user == "user"  # type: ignore[union-attr]
    assert m.from_ is not None and m.from_.uri.user == "I have spaces"  # type: ignore[union-attr]
    contact = m.contacts[0].uri
    assert isinstance(contact, SipUri)
    assert contact.user == "caller"
    assert contact.params == (("lr", None), ("name", "value%41"))
    assert m.header("content-type") == "application/sdp"


def test_escnull_escaped_nulls() -> None:
    m = parse(ESCNULL)
    m.validate()
    assert m.to is not None and m.to.uri.user == "null-\x00-null"  # type: ignore[union-attr]
    assert m.from_ is not None and m.from_.tag == "839923423"
    assert [c.uri.user for c in m.contacts] == ["\x00", "\x00\x00"]  # type: ignore[union-attr]
    assert m.content_length == 0


def test_esc02_percent_that_is_not_an_escape() -> None:
    m = parse(ESC02)
    m.validate()
    assert isinstance(m, Request)
    assert m.method == "RE%47IST%45R"  # an unknown method, not REGISTER
    assert m.to is not None and m.to.display_name == "%Z%45"
    assert m.top_via is not None and m.top_via.branch == "z9hG4bK209%fzsnel234"
    assert [c.uri_text for c in m.contacts] == [
        "sip:alias1@host1.example.com",
        "sip:alias3@host3.example.com",
    ]
    assert m.header("C%6Fntact") == "<sip:alias2@host2.example.com>"


def test_lwsdisp_no_space_before_angle_bracket() -> None:
    m = parse(LWSDISP)
    m.validate()
    assert m.from_ is not None and m.from_.display_name == "caller"
    assert m.from_.uri_text == "sip:caller@example.com"


def test_longreq_long_values() -> None:
    long_tag = "12982982982982982982982982982982982982982982982982982982982982982982982982"
    vias = "".join(
        f"Via: SIP/2.0/TCP sip{i}.example.com;branch=z9hG4bK{i:04d}{'a' * 100}\n" for i in range(40)
    )
    raw = (
        f"INVITE sip:user@example.com SIP/2.0\n"
        f'To: "I have a user name of {"extreme" * 40} proportion"<sip:user@example.com:6000;'
        f"unknownparam1=very{'long' * 50}value;longparam{'name' * 30}=shortvalue>\n"
        f"From: sip:{'amazinglylongcallername' * 10}@example.net;tag={long_tag * 5}\n"
        f"Call-ID: longreq.{'onereallylongcallid' * 30}\n"
        f"CSeq: 3882340 INVITE\n"
        f"{vias}"
        f"Max-Forwards: 70\n"
        f"Contact: <sip:{'amazinglylongcallername' * 10}@host5.example.net>\n"
        f"Content-Type: application/sdp\n"
        f"l: 150\n\n"
    )
    m = parse(msg(raw, SDP))
    m.validate()
    assert len(m.via) == 40
    assert m.to is not None and m.to.uri.port == 6000  # type: ignore[union-attr]
    assert m.from_ is not None and m.from_.tag == long_tag * 5


def test_dblreq_octets_after_the_body_are_ignored() -> None:
    first = (
        "REGISTER sip:example.com SIP/2.0\n"
        "To: sip:j.user@example.com\n"
        "From: sip:j.user@example.com;tag=43251j3j324\n"
        "Max-Forwards: 8\n"
        "I: dblreq.0ha0isndaksdj99sdfafnl3lk233412\n"
        "Contact: sip:j.user@host.example.com\n"
        "CSeq: 8 REGISTER\n"
        "Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492\n"
        "Content-Length: 0\n\n"
    )
    second = "INVITE sip:joe@example.com SIP/2.0\nt: sip:joe@example.com\n\n"
    m = parse(msg(first + second))
    m.validate()
    assert isinstance(m, Request) and m.method == "REGISTER"
    assert m.body == b""
    assert m.contacts[0].uri_text == "sip:j.user@host.example.com"


def test_semiuri_semicolons_in_the_user_part() -> None:
    m = parse(SEMIURI)
    m.validate()
    uri = m.uri
    assert isinstance(uri, SipUri)
    assert (uri.user, uri.host, uri.params) == ("user;par=u@example.net", "example.com", ())
    assert m.from_ is not None and m.from_.tag == "33242"  # the addr-spec's ;tag is a header param


def test_transports_varied_and_unknown() -> None:
    m = parse(TRANSPORTS)
    m.validate()
    assert [v.transport for v in m.via] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]


def test_mpart01_multipart_body() -> None:
    body = (
        b"--boundary42\r\nContent-Type: application/sdp\r\n\r\nv=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n"
        b"--boundary42\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n\r\n"
        b"\x30\x82\x01\x52\x06\x09\x2a\x86\x48\x86\xf7\r\n--boundary42--\r\n"
    )
    raw = (
        "MESSAGE sip:kumiko@example.org SIP/2.0\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport\n"
        "Max-Forwards: 70\n"
        "Route: <sip:127.0.0.1:5080>\n"
        "Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=\n"  # noqa: E501
        "Contact: <sip:fluffy@127.0.0.1:5070>\n"
        "To: <sip:kumiko@example.org>\n"
        "From: <sip:fluffy@example.com>;tag=2fb0dcc9\n"
        "Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..\n"
        "CSeq: 1 MESSAGE\n"
        "Content-Type: multipart/mixed;boundary=boundary42\n"
        f"Content-Length: {len(body)}\n\n"
    )
    m = parse(msg(raw, body))
    m.validate()
    assert m.body == body
    assert m.top_via is not None and m.top_via.port == 5070 and m.top_via.rport == ""


def test_unreason_and_noreason() -> None:
    raw = (
        "SIP/2.0 200 = 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f"
        "\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - "
        "\u043f\u0440\u043e\u0441\u0442\u043e\u0435\n"
        "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\n"
        "Call-ID: unreason.1234ksdfak3j2erwedfsASdf\n"
        "CSeq: 35 INVITE\n"
        "From: sip:user@example.com;tag=11141343\n"
        "To: sip:user@example.edu;tag=2229\n"
        "Content-Length: 154\nContent-Type: application/sdp\n"
        "Contact: <sip:user@host198.example.com>\n\n"
    )
    m = parse(msg(raw, SDP + b"x" * 4))
    m.validate()
    assert isinstance(m, Response) and m.status == 200
    assert m.reason.startswith("= 2**3 * 5**2 \u043d\u043e")
    bare = parse(
        msg(
            "SIP/2.0 100 \nVia: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\n"
            "Call-ID: noreason.asndj203insdf99223ndf\nCSeq: 35 INVITE\n"
            "From: <sip:user@example.com>;tag=39ansfi3\nTo: <sip:user@example.edu>;tag=902jndnke3\n"
            "Content-Length: 0\nContact: <sip:user@host105.example.com>\n\n"
        )
    )
    bare.validate()
    assert isinstance(bare, Response) and (bare.status, bare.reason) == (100, "")


# -- RFC 4475 §3.1.2: invalid messages -------------------------------------------------------

BASE = {
    "via": "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234",
    "to": "To: sip:user@example.com",
    "from": "From: sip:caller@example.net;tag=134161461246",
    "max": "Max-Forwards: 7",
    "cid": "Call-ID: torture@192.0.2.15",
    "cseq": "CSeq: 8 OPTIONS",
    "len": "Content-Length: 0",
}


def build(start: str, *, body: str = "", **replace: str | None) -> bytes:
    fields = {**BASE, **replace}
    lines = [start] + [value for value in fields.values() if value is not None]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


INVALID = {
    "badinv01 extraneous separators": build(
        "INVITE sip:user@example.com SIP/2.0",
        via="Via: SIP/2.0/UDP 192.0.2.15;;,;,,",
        cseq="CSeq: 8 INVITE",
    ),
    "clerr content length too large": build(
        "INVITE sip:user@example.com SIP/2.0",
        cseq="CSeq: 8 INVITE",
        len="Content-Length: 9999",
        body="v=0\r\n",
    ),
    "scalar02 negative content length": build(
        "REGISTER sip:example.com SIP/2.0",
        cseq="CSeq: 8 REGISTER",
        len="Content-Length: -999",
    ),
    "scalarlg overlarge scalars": build(
        "REGISTER sip:example.com SIP/2.0",
        cseq="CSeq: 36893488147419103232 REGISTER",
        max="Max-Forwards: 300",
    ),
    "scalarlg overlarge expires": build(
        "REGISTER sip:example.com SIP/2.0",
        cseq="CSeq: 8 REGISTER",
        extra="Expires: 10000000000000000000",
    ),
    "quotbal unterminated quote": build(
        "INVITE sip:user@example.com SIP/2.0",
        cseq="CSeq: 8 INVITE",
        to='To: "Mr. J. User <sip:j.user@example.com>',
    ),
    "ltgtruri <> around the Request-URI": build("INVITE <sip:user@example.com> SIP/2.0"),
    "lwsruri white space in the Request-URI": build("INVITE sip:user@example.com; lr SIP/2.0"),
    "lwsstart several SP between request-line parts": build(
        "INVITE  sip:user@example.com  SIP/2.0", cseq="CSeq: 8 INVITE"
    ),
    "trws SP at the end of the request line": build(
        "OPTIONS sip:remote-target@example.com SIP/2.0  "
    ),
    "escruri escaped headers in the Request-URI": build(
        "INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0",
        cseq="CSeq: 8 INVITE",
    ),
    "baddate time zone other than GMT": build(
        "INVITE sip:user@example.com SIP/2.0",
        cseq="CSeq: 8 INVITE",
        date="Date: Fri, 01 Jan 2010 16:00:00 EST",
    ),
    "regbadct addr-spec with escaped headers": build(
        "REGISTER sip:example.com SIP/2.0",
        cseq="CSeq: 8 REGISTER",
        contact="Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E",
    ),
    "badaspec spaces inside <>": build(
        "OPTIONS sip:user@example.org SIP/2.0",
        to='To: "Watson, Thomas" < sip:t.watson@example.org >',
    ),
    "baddn unquoted non-token display name": build(
        "OPTIONS sip:t.watson@example.org SIP/2.0",
        **{"from": "From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43"},
    ),
    "mismatch01 CSeq method differs": build(
        "OPTIONS sip:user@example.com SIP/2.0", cseq="CSeq: 8 INVITE"
    ),
    "mismatch02 unknown method, CSeq differs": build(
        "NEWMETHOD sip:user@example.com SIP/2.0", cseq="CSeq: 8 INVITE"
    ),
    "bigcode overlarge status code": build(
        "SIP/2.0 4294967301 better not break the receiver", cseq="CSeq: 8 OPTIONS"
    ),
    "insuf missing Call-ID": build("OPTIONS sip:user@example.com SIP/2.0", cid=None),
}


@pytest.mark.parametrize("raw", list(INVALID.values()), ids=list(INVALID))
def test_invalid_messages_are_rejected_with_a_400(raw: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse(raw).validate()
    assert info.value.status == 400
    assert isinstance(info.value, VosEngineError)


def test_badvers_gets_505_and_unknown_schemes_416() -> None:
    with pytest.raises(ParseError, match="not supported") as info:
        parse(build("OPTIONS sip:t.watson@example.org SIP/7.0"))
    assert info.value.status == 505
    with pytest.raises(ParseError) as info:
        parse(build("OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0"))
    assert info.value.status == 416
    with pytest.raises(ParseError) as info:
        parse_uri("http://example.com/")
    assert info.value.status == 416


# -- round trips, framing, construction ---------------------------------------------------------


@pytest.mark.parametrize("raw", [WSINV, build("OPTIONS sip:user@example.com SIP/2.0")])
def test_serialize_round_trips(raw: bytes) -> None:
    first = parse(raw)
    again = parse(bytes(first))
    assert again == first
    assert bytes(again) == bytes(first)


def test_stream_framer() -> None:
    one = build("OPTIONS sip:user@example.com SIP/2.0")
    two = build(
        "INVITE sip:user@example.com SIP/2.0",
        cseq="CSeq: 9 INVITE",
        len="Content-Length: 4",
        body="abcd",
    )
    framer = StreamFramer()
    stream = b"\r\n" + one + two + one
    framer.feed(stream[:10])
    assert framer.next_message() is None
    framer.feed(stream[10 : len(one) + 40])
    first = framer.next_message()
    assert isinstance(first, Request) and first.method == "OPTIONS"
    assert framer.next_message() is None  # the INVITE is not complete yet
    framer.feed(stream[len(one) + 40 :])
    rest = framer.messages()
    assert [m.method for m in rest if isinstance(m, Request)] == ["INVITE", "OPTIONS"]
    assert rest[0].body == b"abcd"
    assert framer.buffered == 0
    framer.feed(build("OPTIONS sip:u@example.com SIP/2.0", len=None))
    with pytest.raises(ParseError, match="needs Content-Length"):
        framer.next_message()
    small = StreamFramer(max_header_bytes=64)
    small.feed(b"OPTIONS sip:u@example.com SIP/2.0\r\n" + b"X-Pad: " + b"a" * 100)
    with pytest.raises(ParseError) as info:
        small.next_message()
    assert info.value.status == 413


def test_make_response_and_building_messages() -> None:
    request = parse(build("OPTIONS sip:user@example.com SIP/2.0"))
    assert isinstance(request, Request)
    response = make_response(request, 200, to_tag="abc", headers=[("Allow", "INVITE")])
    assert response.reason == "OK"
    again = parse(bytes(response))
    again.validate()
    assert isinstance(again, Response) and again.status == 200
    assert again.to is not None and again.to.tag == "abc"
    assert again.call_id == request.call_id
    assert again.header("allow") == "INVITE"
    with pytest.raises(LocalProtocolError):
        Response(99)
    with pytest.raises(LocalProtocolError):
        Request("INVITE", "sip:a b")
    with pytest.raises(LocalProtocolError, match="CR or LF"):
        Request("INVITE", "sip:a@b", fields=[("Subject", "x\r\nInjected: 1")])


def test_compact_forms_and_case_insensitive_names() -> None:
    m = parse(
        build(
            "OPTIONS sip:user@example.com SIP/2.0",
            via="v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1",
            to="t: <sip:user@example.com>",
            cid="i: abc",
            len="l: 0",
            extra="k: 100rel",
            extra2="CONTENT-TYPE: text/plain",
        )
    )
    m.validate()
    assert m.call_id == "abc"
    assert m.header("Supported") == "100rel"
    assert m.header("c") == "text/plain"
    assert "Content-Type" in m
    assert m.headers("via") == ["SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1"]


# -- URIs ------------------------------------------------------------------------------------------


def test_uris() -> None:
    uri = parse_uri("sips:alice:pw@[2001:db8::1]:5061;transport=tls;lr?subject=hi%20there")
    assert isinstance(uri, SipUri)
    assert (uri.scheme, uri.user, uri.password, uri.host, uri.port) == (
        "sips",
        "alice",
        "pw",
        "[2001:db8::1]",
        5061,
    )
    assert uri.param("transport") == "tls"
    assert uri.has_param("lr")
    assert uri.headers == (("subject", "hi there"),)
    assert uri.aor == "sips:alice@[2001:db8::1]"
    assert parse_uri(str(uri)) == uri
    tel = parse_uri("tel:+1-201-555-0123;phone-context=example.com")
    assert isinstance(tel, TelUri) and tel.number == "+1-201-555-0123"
    for bad in [
        "sip:",
        "sip:user@",
        "sip:user@host:99999",
        "sip:a b@host",
        "sip:us%zzer@host",
        "sip:host;;x",
        "sip:[::1",
        "nourischeme",
    ]:
        with pytest.raises(ParseError):
            parse_uri(bad)


# -- fuzzing: any input either parses or raises ParseError ---------------------------------------


def check_any(data: bytes) -> None:
    try:
        message = parse(data)
        message.validate()
        for name in ("authorization", "www-authenticate"):
            message.auth(name=name)
        for contact in message.contacts:
            contact.uri  # noqa: B018
        bytes(message)
    except ParseError:
        pass


@given(st.binary(max_size=400))
def test_arbitrary_bytes_parse_or_raise_parse_error(data: bytes) -> None:
    check_any(data)


def mutate(seed: bytes, edits: list[tuple[int, bytes]], *, grow: bool = False) -> bytes:
    """``seed`` with each ``(position, chunk)`` written over it (positions wrap around); with
    ``grow`` a chunk replaces half its length, so the message grows."""
    data = bytearray(seed)
    for position, chunk in edits:
        position %= max(1, len(data))
        data[position : position + (len(chunk) // 2 if grow else len(chunk))] = chunk
    return bytes(data)


SEEDS = [
    WSINV,
    *INVALID.values(),
    build("OPTIONS sip:user@example.com SIP/2.0"),
    build(
        "REGISTER sip:example.com SIP/2.0",
        cseq="CSeq: 8 REGISTER",
        note='Authorization: Digest username="1001", realm="example.com", nonce="a1b2",'
        ' uri="sip:example.com", response="0123456789abcdef0123456789abcdef", algorithm=MD5,'
        ' qop=auth, nc=00000001, cnonce="x y"',
    ),
    build(
        "INVITE sip:bob@example.com SIP/2.0",
        cseq="CSeq: 8 INVITE",
        to='To: "Bob \\"B\\"" <sip:bob@example.com>;tag=x',
        via="Via: SIP/2.0/TCP Host.Example.COM:5070;Branch=z9hG4bK1;rport;received=1.2.3.4",
        note="From: Alice  Smith <sip:a@x>;tag=1",
    ),
    build(
        "SIP/2.0 401 Unauthorized",
        note='WWW-Authenticate: Digest realm="example.com", nonce="n1", qop="auth,auth-int",'
        " algorithm=SHA-256, stale=true",
    ),
]


@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=8)), max_size=6),
)
def test_mutated_messages_parse_or_raise_parse_error(seed: bytes, edits: list) -> None:  # type: ignore[type-arg]
    check_any(mutate(seed, edits, grow=True))


def test_non_bytes_input_is_a_library_type_error() -> None:
    with pytest.raises(TypeError):
        parse("OPTIONS sip:a@b SIP/2.0\r\n\r\n")  # type: ignore[arg-type]


def _read(read: Any) -> object:
    try:
        return read()
    except ParseError as error:
        return ("error", error.status)


def outcome(data: bytes) -> object:
    """Everything a parse yields (or its error), as plain data. The hot accessors are read
    first, on the raw values, before ``validate()`` fills the cache through the parsers."""
    try:
        m = parse(data)
    except ParseError as error:
        return ("error", error.status)
    start = (m.method, m.uri_text) if isinstance(m, Request) else (m.status, m.reason)
    hot = [_read(lambda name=name: getattr(m, name)) for name in _message.HOT_ACCESSORS]
    auth = [
        _read(lambda name=name: m.auth(name=name)) for name in ("authorization", "www-authenticate")
    ]
    try:
        m.validate()
        checked = (m.via, m.from_, m.to, m.cseq, m.call_id, m.contacts, m.max_forwards)
    except ParseError as error:
        checked = ("error", error.status)
    return (start, [(k, v) for k, _, v in m.fields], hot, auth, checked, m.content_length, m.body)


def both_ways(data: bytes) -> tuple[object, object]:
    """What the compiled implementation and the Python twin each make of ``data``."""
    from tests.conftest import sip_implementation
    from vosengine.sip import _fast

    out = []
    for name in ("compiled", "python"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_fast, "IMPL", sip_implementation(name))
            out.append(outcome(data))
    return out[0], out[1]


@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=6)), max_size=4),
)
def test_compiled_fast_paths_equal_the_python_twins(seed: bytes, edits: list) -> None:  # type: ignore[type-arg]
    compiled, python = both_ways(mutate(seed, edits))
    assert compiled == python


def test_a_fold_at_the_very_end_of_the_header_block() -> None:
    """Found by the fuzzer: a continuation line of only white space before the blank line."""
    data = build("OPTIONS sip:user@example.com SIP/2.0", note="X-Note: value\r\n ")
    m = parse(data)
    assert m.header("x-note") == "value"
    assert parse(bytes(m)) == m


AUTH_NAMES = st.sampled_from(["username", "Realm", "nonce", "uri", "response", "qop", "nc", "x"])
AUTH_VALUES = st.text(alphabet='abAB09 -.,"=\\;:é\t', max_size=12)


@given(
    items=st.lists(
        st.tuples(
            AUTH_NAMES,
            AUTH_VALUES,
            st.booleans(),
            st.sampled_from([", ", ",", " , ", ",\t", "  "]),
        ),
        max_size=5,
    )
)
def test_compiled_auth_parameters_equal_the_python_parser(items: list) -> None:  # type: ignore[type-arg]
    """The compiled Authorization fast path gives what the Python parser gives, or defers."""
    from tests.conftest import sip_implementation
    from vosengine.sip import _fast, _headers

    compiled = sip_implementation("compiled")
    rest = "".join(
        f'{name}="{value}"{sep}' if quoted else f"{name}={value}{sep}"
        for name, value, quoted, sep in items
    )
    fast = compiled.auth_params(rest)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_fast, "IMPL", sip_implementation("python"))
        try:
            python: object = _headers.parse_auth("Digest " + rest, "Authorization").params
        except ParseError:
            python = "error"
    if fast is not None:
        assert fast == python


def test_messages_pickle_and_copy_with_their_cached_values() -> None:
    import copy
    import pickle

    request = parse(build("OPTIONS sip:user@example.com SIP/2.0"))
    assert request.top_via is not None and request.from_ is not None  # fill the cache
    response = make_response(request, 200, to_tag="t1")
    for message in (request, response, copy.deepcopy(request)):
        again = pickle.loads(pickle.dumps(message))
        assert type(again) is type(message) and again == message
        assert again.top_via == message.top_via and again.to == message.to
        assert again.cseq == message.cseq and bytes(again) == bytes(message)


def test_zero_padded_numbers_keep_their_value() -> None:
    """Found by the differential fuzzer: leading zeros do not make a number large. The length
    guard against huge integers counts significant digits only, on both implementations."""
    data = build(
        "REGISTER sip:example.com SIP/2.0",
        cseq="CSeq: 00000000000000000001 REGISTER",
        len="Content-Length: 0000000000000000000000",
        note="Expires: 000000000000000000000003600",
    )
    m = parse(data)
    assert m.cseq == (1, "REGISTER") and m.content_length == 0 and m.expires == 3600
    m.validate()
    too_large = build("REGISTER sip:example.com SIP/2.0", cseq="CSeq: 0002147483648 REGISTER")
    with pytest.raises(ParseError, match="larger than 2"):
        parse(too_large).validate()


@pytest.mark.parametrize("port", ["5\u00b2", "\u0663", "50\u0660"])
def test_a_via_port_is_ascii_digits(port: str) -> None:
    """A port of Unicode digits (superscript, Arabic-Indic) is a ParseError, not a crash
    and not a port."""
    data = build("OPTIONS sip:user@example.com SIP/2.0", via=f"Via: SIP/2.0/UDP h:{port}")
    with pytest.raises(ParseError, match="Via"):
        parse(data).validate()
