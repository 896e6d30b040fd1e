#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/check_firewalld.sh: the firewalld service files parse as XML and open the ports kcwatchd
# uses: the default heartbeat port of daemon/lib/config.c, the metrics port of the example. TAP.
top=${srcdir:-.}
py=$(command -v python3) || { echo "1..0 # SKIP python3 not found"; exit 0; }
exec "$py" - "$top" <<'PY'
import re, sys, xml.etree.ElementTree as ET
top = sys.argv[1]
src = open(top + "/daemon/lib/config.c").read()
hb = re.search(r"cfg->port = (\d+);", src).group(1)
ex = open(top + "/doc/kcwatch.conf.example").read()
mp = re.search(r"listen = [0-9.]+:(\d+)", ex).group(1)
cases = [("kcwatch.xml", "kcwatch", "udp", hb), ("kcwatch-metrics.xml", "kcwatch-metrics", "tcp", mp)]
print("1..%d" % len(cases))
bad = 0
for n, (f, short, proto, port) in enumerate(cases, 1):
    try:
        root = ET.parse(top + "/firewalld/" + f).getroot()
        ports = [(p.get("protocol"), p.get("port")) for p in root.findall("port")]
        got = (root.tag, root.findtext("short"), ports, bool(root.findtext("description")))
        want = ("service", short, [(proto, port)], True)
        ok = got == want
        why = "" if ok else ": got %r, want %r" % (got, want)
    except Exception as e:  # a parse error is a failure, not a crash
        ok, why = False, ": %s" % e
    bad += not ok
    print("%s %d - firewalld/%s: service %s, %s/%s only%s" % ("ok" if ok else "not ok", n, f, short, port, proto, why))
sys.exit(1 if bad else 0)
PY
