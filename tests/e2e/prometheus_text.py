"""A strict reader of Prometheus' text exposition format 0.0.4, for the tests of GET /metrics.

promtool is not a dependency, so this is the check: every line is a # HELP, a # TYPE or a sample;
every sample follows its family's TYPE; no family is described twice and no series appears
twice; names and label names are well formed, label values correctly escaped; histogram buckets
are cumulative and end with le="+Inf" equal to _count. parse() raises ValueError naming the line
that breaks a rule.
"""

from __future__ import annotations

import math
import re

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}


def _value(text: str, where: str) -> float:
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{where}: bad value {text!r}") from None


def _labels(text: str, where: str) -> tuple[tuple[str, str], ...]:
    """Reads `a="x",b="y"` (the text between the braces)."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        m = _LABEL.match(text, i)
        if not m or text[m.end():m.end() + 2] != '="':
            raise ValueError(f"{where}: bad label at {text[i:]!r}")
        name = m.group(0)
        if name.startswith("__"):
            raise ValueError(f"{where}: reserved label name {name}")
        i = m.end() + 2
        value = []
        while True:
            if i >= len(text):
                raise ValueError(f"{where}: unterminated label value")
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in _ESCAPES:
                    raise ValueError(f"{where}: bad escape \\{nxt} in a label value")
                value.append(_ESCAPES[nxt])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ValueError(f"{where}: raw newline in a label value")
            else:
                value.append(c)
                i += 1
        if name in dict(out):
            raise ValueError(f"{where}: label {name} twice")
        out.append((name, "".join(value)))
        if i < len(text):
            if text[i] != ",":
                raise ValueError(f"{where}: expected ',' at {text[i:]!r}")
            i += 1
    return tuple(sorted(out))


class Metrics:
    """What a scrape said: families (name -> type, help) and samples ((name, labels) -> value)."""

    def __init__(self):
        self.types: dict[str, str] = {}
        self.helps: dict[str, str] = {}
        self.samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}

    def value(self, name: str, labels: dict | None = None, default: float | None = None) -> float:
        key = (name, tuple(sorted((labels or {}).items())))
        if key not in self.samples:
            if default is not None:
                return default
            raise KeyError(f"no sample {name}{labels or ''}")
        return self.samples[key]

    def series(self, name: str) -> dict[tuple[tuple[str, str], ...], float]:
        return {labels: v for (n, labels), v in self.samples.items() if n == name}


def _family_of(name: str, types: dict[str, str]) -> str | None:
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            return base
    return None


def parse(text: str) -> Metrics:
    m = Metrics()
    if text and not text.endswith("\n"):
        raise ValueError("the exposition must end with a newline")
    for n, line in enumerate(text.split("\n")[:-1] if text else [], start=1):
        where = f"line {n} {line!r}"
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) < 3 or parts[1] not in ("HELP", "TYPE"):
                continue  # a comment
            name = parts[2]
            if not _NAME.fullmatch(name):
                raise ValueError(f"{where}: bad metric name")
            if parts[1] == "HELP":
                if name in m.helps:
                    raise ValueError(f"{where}: second HELP for {name}")
                m.helps[name] = parts[3] if len(parts) > 3 else ""
            else:
                if name in m.types:
                    raise ValueError(f"{where}: second TYPE for {name}")
                if len(parts) != 4 or parts[3] not in _TYPES:
                    raise ValueError(f"{where}: bad type")
                if any(s == name for s, _ in m.samples):
                    raise ValueError(f"{where}: TYPE after samples of {name}")
                m.types[name] = parts[3]
            continue
        if not line.strip():
            raise ValueError(f"{where}: empty line")
        nm = _NAME.match(line)
        if not nm:
            raise ValueError(f"{where}: bad sample name")
        name = nm.group(0)
        rest = line[nm.end():]
        labels: tuple[tuple[str, str], ...] = ()
        if rest.startswith("{"):
            close = _closing_brace(rest, where)
            labels = _labels(rest[1:close], where)
            rest = rest[close + 1:]
        if not rest.startswith(" "):
            raise ValueError(f"{where}: expected a space before the value")
        fields = rest[1:].split(" ")
        if len(fields) not in (1, 2):  # a value, and an optional timestamp
            raise ValueError(f"{where}: expected a value")
        value = _value(fields[0], where)
        family = _family_of(name, m.types)
        if family is None:
            raise ValueError(f"{where}: sample of {name} before its # TYPE")
        key = (name, labels)
        if key in m.samples:
            raise ValueError(f"{where}: duplicate series")
        m.samples[key] = value
    _check_histograms(m)
    return m


def _closing_brace(rest: str, where: str) -> int:
    i, quoted = 1, False
    while i < len(rest):
        c = rest[i]
        if quoted and c == "\\":
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == "}" and not quoted:
            return i
        i += 1
    raise ValueError(f"{where}: unterminated labels")


def _check_histograms(m: Metrics):
    for family, kind in m.types.items():
        if kind != "histogram":
            continue
        groups: dict[tuple, list[tuple[float, float]]] = {}
        for labels, v in m.series(family + "_bucket").items():
            le = dict(labels).get("le")
            if le is None:
                raise ValueError(f"{family}_bucket without le")
            rest = tuple(l for l in labels if l[0] != "le")
            groups.setdefault(rest, []).append((_value(le, family), v))
        for rest, buckets in groups.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            if counts != sorted(counts):
                raise ValueError(f"{family}{dict(rest)}: buckets are not cumulative")
            if not math.isinf(buckets[-1][0]):
                raise ValueError(f"{family}{dict(rest)}: no le=\"+Inf\" bucket")
            if m.value(family + "_count", dict(rest)) != buckets[-1][1]:
                raise ValueError(f"{family}{dict(rest)}: _count differs from the +Inf bucket")
            m.value(family + "_sum", dict(rest))
