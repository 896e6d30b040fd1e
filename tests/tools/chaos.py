# SPDX-License-Identifier: MIT
# chaos.py: the chaos suite's measuring tools (see tests/chaos/lib.sh: c_tool).
#   serve NAME PORT            answers each UDP datagram with "NAME <payload>" from the address
#                              it was sent to (IP_PKTINFO / IPV6_PKTINFO), until SIGTERM
#   watch OUT CLIENT_NS ADDR PORT PROBE_MS NS...
#                              in CLIENT_NS, a datagram to ADDR:PORT every PROBE_MS; in each NS,
#                              whether ADDR is on an interface (netlink address events, plus a
#                              dump every 10 ms in case one is missed). OUT gets, with ms of day:
#                              "P ms seq" per probe, "R ms name seq" per reply, "H ms i 0|1"
#                              per holder change of
#                              NS number i, "G ms gap" when the loop itself stalled > 30 ms.
#   analyze OUT FROM TO N [LOG...]
#                              outage, double-holder and holder figures for [FROM, TO] as
#                              shell assignments (W_*), and those of roles for the LOGs
#   roles FROM TO LOG...       leader overlap (ms) and claims from the daemons' role lines
import re, select, socket, sys, time

from kcwnet import (RTM_NEWADDR, RTMGRP_IPV4_IFADDR, addr_msgs, dump_socket, enter, has_addr,
                    send_probe, serve, stop_on_sigterm)

DAY = 86400000

def ms_of_day(t=None):
    t = time.time() if t is None else t
    lt = time.localtime(t)
    return ((lt.tm_hour * 60 + lt.tm_min) * 60 + lt.tm_sec) * 1000.0 + (t % 1.0) * 1000.0

class Holder:
    def __init__(self, ns, want):
        enter(ns)
        self.want = want
        self.ev = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
        self.ev.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.ev.bind((0, RTMGRP_IPV4_IFADDR))
        self.ev.setblocking(False)
        self.dump_sk = dump_socket()
        self.seq = 0
        self.state = None

    def dump(self):
        self.seq += 1
        return has_addr(self.dump_sk, socket.AF_INET, self.want, self.seq)

    def events(self):
        st = None
        while True:
            try:
                buf = self.ev.recv(65536)
            except BlockingIOError:
                return st
            except OSError:  # ENOBUFS: events lost; the next dump repairs the state
                return st
            for typ, addrs in addr_msgs(buf):
                if self.want in addrs:
                    st = 1 if typ == RTM_NEWADDR else 0

def watch(out, client_ns, addr, port, probe_ms, nss):
    stop = stop_on_sigterm()
    want = socket.inet_aton(addr)
    holders = [Holder(ns, want) for ns in nss]
    enter(client_ns)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    f = open(out, "w", buffering=1)
    seq = 0
    now = time.monotonic()
    next_probe = now
    next_dump = now
    last_loop = now
    f.write("S %.1f\n" % ms_of_day())
    for i, h in enumerate(holders):
        h.state = 1 if h.dump() else 0
        f.write("H %.1f %d %d\n" % (ms_of_day(), i, h.state))
    while not stop:
        now = time.monotonic()
        if now - last_loop > 0.030:
            f.write("G %.1f %.1f\n" % (ms_of_day(), (now - last_loop) * 1000.0))
        last_loop = now
        if now >= next_probe:
            seq += 1
            send_probe(s, seq, (addr, port))
            f.write("P %.1f %d\n" % (ms_of_day(), seq))
            next_probe += probe_ms / 1000.0
            if next_probe < now:
                next_probe = now + probe_ms / 1000.0
        timeout = max(0.0, min(next_probe, next_dump) - time.monotonic())
        try:
            r, _, _ = select.select([s] + [h.ev for h in holders], [], [], timeout)
        except InterruptedError:
            continue
        t = ms_of_day()  # one timestamp per wake-up: events read together are simultaneous
        if s in r:
            while True:
                try:
                    data = s.recv(2048)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                except OSError:
                    break
                p = data.split(b" ")
                if len(p) == 2:
                    f.write("R %.1f %s %s\n" % (t, p[0].decode(), p[1].decode()))
        changes = []
        for i, h in enumerate(holders):
            if h.ev in r:
                st = h.events()
                if st is not None and st != h.state:
                    h.state = st
                    changes.append((i, st))
        if time.monotonic() >= next_dump:
            for i, h in enumerate(holders):
                st = 1 if h.dump() else 0
                if st != h.state:
                    h.state = st
                    changes.append((i, st))
            next_dump += 0.010
            if next_dump < time.monotonic():
                next_dump = time.monotonic() + 0.010
        # releases before takes within one wake-up: a handover read at once is not an overlap
        for i, st in sorted(changes, key=lambda c: c[1]):
            f.write("H %.1f %d %d\n" % (t, i, st))
    f.write("E %.1f\n" % ms_of_day())
    f.close()
    return 0

def unwrap(v, ref):
    """ms of day v near ref (handles a run across midnight)."""
    while v < ref - DAY / 2:
        v += DAY
    while v > ref + DAY / 2:
        v -= DAY
    return v

def analyze(out, frm, to, n):
    replies, hev, stalls, probes = [], [], [], []
    start = end = None
    for line in open(out):
        w = line.split()
        if not w:
            continue
        if w[0] == "S":
            start = float(w[1])
            continue
        ref = start if start is not None else float(w[1])
        t = unwrap(float(w[1]), ref)
        if w[0] == "R":
            replies.append((t, w[2], int(w[3])))
        elif w[0] == "P":
            probes.append((t, int(w[2])))
        elif w[0] == "H":
            hev.append((t, int(w[2]), int(w[3])))
        elif w[0] == "G":
            stalls.append(float(w[2]))
        elif w[0] == "E":
            end = t
    ref = start if start is not None else frm
    frm, to = unwrap(frm, ref), unwrap(to, ref)
    if end is not None and end < to:
        to = end
    # The outage: the longest gap between two replies (overlapping [frm, to]) during which
    # probes went unanswered. A gap without a lost probe in it is the prober or the service
    # being descheduled on a loaded machine, not an outage (it is W_GAP_RAW). Probes still
    # unanswered at the end count up to `to`.
    rs = sorted((r for r in replies if r[0] <= to), key=lambda r: r[2])
    sent_by_to = max([q for t, q in probes if t <= to - 100] or [0])  # 100 ms to answer
    outage, at, raw = 0.0, frm, 0.0
    for (t0, _, q0), (t1, _, q1) in zip(rs, rs[1:]):
        if t1 > frm:
            raw = max(raw, t1 - t0)
            if q1 > q0 + 1 and t1 - t0 > outage:
                outage, at = t1 - t0, t0
    if rs and sent_by_to > rs[-1][2] and to - rs[-1][0] > outage:
        outage, at = to - rs[-1][0], rs[-1][0]
    if rs:
        raw = max(raw, to - rs[-1][0])
    else:
        outage, at, raw = to - frm, frm, to - frm
    # the same across a change of responder (a handover as the client saw it)
    handover = 0.0
    for (t0, n0, q0), (t1, n1, q1) in zip(rs, rs[1:]):
        if t1 > frm and n1 != n0 and q1 > q0 + 1 and t1 - t0 > handover:
            handover = t1 - t0
    # holder timeline: the state holds from one event to the next
    state = [0] * n
    acc = {"double": 0.0, "dmax": 0.0, "run": 0.0, "none": 0.0, "nrun": 0.0, "nmax": 0.0}
    takes = 0
    last_change = frm
    first_on, first_off = [-1] * n, [-1] * n

    def account(a, b):
        lo, hi = max(a, frm), min(b, to)
        if hi <= lo:
            return
        if sum(state) >= 2:
            acc["double"] += hi - lo
            acc["run"] += hi - lo
            acc["dmax"] = max(acc["dmax"], acc["run"])
        else:
            acc["run"] = 0.0
        if sum(state) == 0:
            acc["none"] += hi - lo
            acc["nrun"] += hi - lo
            acc["nmax"] = max(acc["nmax"], acc["nrun"])
        else:
            acc["nrun"] = 0.0

    prev = None
    for t, i, st in hev:
        if t > to:
            break
        if prev is not None:
            account(prev, t)
        if state[i] != st:
            if t >= frm:
                takes += st
                last_change = t
                if st and first_on[i] < 0:
                    first_on[i] = t
                if not st and first_off[i] < 0:
                    first_off[i] = t
            state[i] = st
        prev = t
    if prev is not None:
        account(prev, to)
    double, dmax = acc["double"], acc["dmax"]
    holders = [i for i in range(n) if state[i]]
    names = [r[1] for r in replies if frm <= r[0] <= to]
    print("W_OUTAGE=%d" % round(outage))
    print("W_OUTAGE_AT=%d" % round(at))
    print("W_HANDOVER_GAP=%d" % round(handover))
    print("W_GAP_RAW=%d" % round(raw))
    print("W_DOUBLE=%d" % round(double))
    print("W_DOUBLE_MAX=%d" % round(dmax))
    print("W_NONE_MAX=%d" % round(acc["nmax"]))
    print("W_HOLDERS=%d" % len(holders))
    print("W_HOLDER=%s" % (holders[0] if len(holders) == 1 else "-"))
    print("W_LAST_CHANGE=%d" % round(last_change))
    print("W_TAKES=%d" % takes)
    for i in range(n):
        print("W_ON%d=%d" % (i, round(first_on[i])))
        print("W_OFF%d=%d" % (i, round(first_off[i])))
    print("W_REPLIES=%d" % len(names))
    print("W_LAST_NAME=%s" % (names[-1] if names else "-"))
    print("W_STALL_MAX=%d" % round(max(stalls) if stalls else 0))
    return 0

ROLE = re.compile(r"^(\d\d:\d\d:\d\d\.\d\d\d) .*role ([a-z]+) -> ([a-z]+)")
START = re.compile(r"^(\d\d:\d\d:\d\d\.\d\d\d) .*: node \S+ \(priority")

def mod(s):
    return ((int(s[0:2]) * 60 + int(s[3:5])) * 60 + int(s[6:8])) * 1000 + int(s[9:12])

def roles(frm, to, logs):
    """Leader overlap from the 'role A -> B' lines of each node's log (a restart resets)."""
    ev = []
    for k, path in enumerate(logs):
        for line in open(path, errors="replace"):
            m = ROLE.match(line)
            if m:
                ev.append((unwrap(mod(m.group(1)), frm), k, m.group(3)))
                continue
            m = START.match(line)
            if m:
                ev.append((unwrap(mod(m.group(1)), frm), k, "init"))
    ev.sort(key=lambda e: e[0])  # stable: same-ms lines of one node keep their order
    role = ["none"] * len(logs)
    overlap, prev, claims = 0.0, None, 0

    def clip(a, b):
        lo, hi = max(a, frm), min(b, to)
        return hi - lo if hi > lo and sum(x == "leader" for x in role) >= 2 else 0.0

    for t, k, r in ev:
        if t > to:
            break
        if prev is not None:
            overlap += clip(prev, t)
        if r == "leader" and role[k] != "leader" and t >= frm:
            claims += 1
        role[k] = r
        prev = t
    if prev is not None:
        overlap += clip(prev, to)
    print("R_OVERLAP=%d" % round(overlap))
    print("R_CLAIMS=%d" % claims)
    print("R_LEADERS=%d" % sum(x == "leader" for x in role))
    return 0

def main(a):
    if a[0] == "serve":
        return serve(a[1], int(a[2]), float("inf"))
    if a[0] == "watch":
        return watch(a[1], a[2], a[3], int(a[4]), float(a[5]), a[6:])
    if a[0] == "analyze":
        rc = analyze(a[1], float(a[2]), float(a[3]), int(a[4]))
        return rc or (roles(float(a[2]), float(a[3]), a[5:]) if len(a) > 5 else 0)
    if a[0] == "roles":
        return roles(float(a[1]), float(a[2]), a[3:])
    print("unknown mode", a[0], file=sys.stderr)
    return 2

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
