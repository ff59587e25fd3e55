"""WWW-Authenticate values as the guard writes them: one or more challenges in one field value
(RFC 9110 §11.6.1), e.g. `Bearer realm="x", error="y", DPoP realm="x", algs="ES256"`
(RFC 9449 §7.2), every parameter a quoted string."""

from __future__ import annotations

import re

_SCHEME = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*) (?=[A-Za-z_][A-Za-z0-9_-]*=")')
_PARAM = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_-]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def parse_challenges(value: str) -> list[tuple[str, dict]]:
    """`Bearer realm="x", error="y", DPoP algs="z"` -> [("Bearer", {"realm": "x", "error":
    "y"}), ("DPoP", {"algs": "z"})], strictly: every parameter a quoted string, none repeated in
    a challenge, every challenge with at least one, nothing left over."""
    challenges: list[tuple[str, dict]] = []
    pos = 0
    while pos < len(value):
        scheme = _SCHEME.match(value, pos)
        if scheme and (not challenges or challenges[-1][1]):
            challenges.append((scheme.group(1), {}))
            pos = scheme.end()
            continue
        m = _PARAM.match(value, pos)
        assert m and challenges, f"malformed WWW-Authenticate {value!r} at {value[pos:]!r}"
        params = challenges[-1][1]
        assert m.group(1) not in params, f"repeated parameter in {value!r}"
        params[m.group(1)] = m.group(2)
        pos = m.end()
    assert challenges and all(params for _, params in challenges), value
    return challenges


def parse_challenge(value: str) -> tuple[str, dict]:
    """The one challenge of a value that must hold exactly one."""
    challenges = parse_challenges(value)
    assert len(challenges) == 1, f"expected one challenge in {value!r}"
    return challenges[0]
