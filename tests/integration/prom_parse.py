#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A strict parser of the Prometheus text exposition format (0.0.4), for the
metrics tests: prom_parse.py FILE prints the samples as JSON
{"name{label="v",...}": value} and exits 1 with the line number and reason
for anything the format does not allow.

Checks: metric and label names, quoted label values with only the \\\\ \\" \\n
escapes, numeric values, HELP/TYPE at most once per family and before its
samples, a family's samples together, no duplicate series, counters named
*_total, histograms with _bucket{le} series that are cumulative and end in
le="+Inf" equal to _count, plus _sum; the text ends with a newline."""
import json
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class Bad(Exception):
    pass


def parse_value(s):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", s):
        raise Bad("bad value %r" % s)
    return float(s)


def parse_labels(s, i):
    """s[i] == '{'; returns (labels, index after '}')."""
    labels = {}
    i += 1
    while True:
        if s[i] == "}":
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m:
            raise Bad("bad label name at column %d" % i)
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise Bad("expected =\" after label %s" % name)
        i += 2
        val = []
        while s[i] != '"':
            if s[i] == "\\":
                nxt = s[i + 1]
                if nxt not in '\\"n':
                    raise Bad("bad escape \\%s" % nxt)
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif s[i] == "\n":
                raise Bad("newline in a label value")
            else:
                val.append(s[i])
                i += 1
        i += 1
        if name in labels:
            raise Bad("label %s twice" % name)
        labels[name] = "".join(val)
        if s[i] == ",":
            i += 1
        elif s[i] != "}":
            raise Bad("expected , or } after a label")


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and types.get(name[: -len(suffix)]) in ("histogram", "summary"):
            return name[: -len(suffix)]
    return name


def parse(text):
    if not text.endswith("\n"):
        raise Bad("the text does not end with a newline")
    types, helps, samples, seen_families, done = {}, set(), {}, [], set()
    hist = {}
    for n, line in enumerate(text.split("\n")[:-1], 1):
        try:
            if line == "":
                continue
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                    if not NAME.fullmatch(parts[2]):
                        raise Bad("bad metric name %r" % parts[2])
                    fam = parts[2]
                    if fam in done:
                        raise Bad("%s for %s after its samples" % (parts[1], fam))
                    if parts[1] == "HELP":
                        if fam in helps:
                            raise Bad("HELP twice for %s" % fam)
                        helps.add(fam)
                    else:
                        if fam in types:
                            raise Bad("TYPE twice for %s" % fam)
                        if len(parts) != 4 or parts[3] not in TYPES:
                            raise Bad("bad TYPE line")
                        types[fam] = parts[3]
                continue
            m = NAME.match(line)
            if not m:
                raise Bad("bad metric name")
            name, i, labels = m.group(0), m.end(), {}
            if i < len(line) and line[i] == "{":
                labels, i = parse_labels(line, i)
            if i >= len(line) or line[i] != " ":
                raise Bad("expected a space before the value")
            rest = line[i + 1:].split(" ")
            if len(rest) not in (1, 2):
                raise Bad("trailing garbage")
            value = parse_value(rest[0])
            if len(rest) == 2 and not re.fullmatch(r"-?\d+", rest[1]):
                raise Bad("bad timestamp")
            fam = family_of(name, types)
            if seen_families and seen_families[-1] != fam:
                if fam in seen_families:
                    raise Bad("samples of %s are not together" % fam)
                done.add(seen_families[-1])
            if not seen_families or seen_families[-1] != fam:
                seen_families.append(fam)
            t = types.get(fam, "untyped")
            if t == "counter" and not name.endswith("_total"):
                raise Bad("counter %s does not end in _total" % name)
            if t == "counter" and value < 0:
                raise Bad("negative counter")
            key = name + "{" + ",".join('%s="%s"' % kv for kv in sorted(labels.items())) + "}"
            if key in samples:
                raise Bad("duplicate series %s" % key)
            samples[key] = value
            if t == "histogram":
                base = {k: v for k, v in labels.items() if k != "le"}
                h = hist.setdefault((fam, json.dumps(base, sort_keys=True)), {"buckets": []})
                if name.endswith("_bucket"):
                    if "le" not in labels:
                        raise Bad("bucket without le")
                    h["buckets"].append((parse_value(labels["le"]), value))
                elif name.endswith("_sum"):
                    h["sum"] = value
                elif name.endswith("_count"):
                    h["count"] = value
                else:
                    raise Bad("histogram sample %s" % name)
        except (Bad, IndexError) as e:
            raise Bad("line %d: %s: %s" % (n, e if isinstance(e, Bad) else "truncated", line))
    for (fam, base), h in hist.items():
        b = h["buckets"]
        if not b or b[-1][0] != math.inf:
            raise Bad("%s %s: no le=\"+Inf\" bucket last" % (fam, base))
        if any(b[k][0] >= b[k + 1][0] or b[k][1] > b[k + 1][1] for k in range(len(b) - 1)):
            raise Bad("%s %s: buckets not increasing and cumulative" % (fam, base))
        if "count" not in h or "sum" not in h or h["count"] != b[-1][1]:
            raise Bad("%s %s: _count/_sum missing or +Inf != _count" % (fam, base))
    return samples


if __name__ == "__main__":
    try:
        print(json.dumps(parse(open(sys.argv[1], encoding="utf-8").read())))
    except Bad as e:
        print("prometheus format: %s" % e, file=sys.stderr)
        sys.exit(1)
