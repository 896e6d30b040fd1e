# SPDX-License-Identifier: MIT
# kcwtool.py: probes, the UDP echo service and a VIP sampler for the VIP tests and benchmarks
# (tests/integration/lib.sh: t_tool_py). Modes:
#   serve NAME PORT MAX_S        answers each datagram with "NAME <payload>" from the address it
#                                was sent to (IP_PKTINFO / IPV6_PKTINFO), on 0.0.0.0 and ::
#   ask ADDR PORT TIMEOUT_MS     one datagram; prints the responder's name; exit 1 on timeout
#   until ADDR PORT NAME MAX_MS  a datagram every 5 ms until NAME answers; prints the wall-clock
#                                ms of that first reply and the replies seen before; exit 1 at MAX_MS
#   probe ADDR PORT PERIOD_MS MAX_S LOG
#                                a datagram every PERIOD_MS for at most MAX_S (or until SIGTERM);
#                                LOG gets "recv_ms name seq send_ms" per reply (wall-clock ms)
#   holders NS_NEW NS_OLD ADDR PERIOD_MS MAX_S OUT
#                                every PERIOD_MS, for at most MAX_S (or until SIGTERM), dumps the
#                                addresses of NS_NEW, then of NS_OLD (netlink, no process start
#                                per sample) and writes "wall_ms new old" (1 = holds ADDR) to OUT.
#                                New first: a clean handover (old releases, then new takes) can
#                                never show up as "1 1", a real overlap does.
import select, socket, sys, time

from kcwnet import dump_socket, enter, has_addr, send_probe, serve, stop_on_sigterm

def now_ms():
    return time.time() * 1000.0

def client(addr):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setblocking(False)
    return s

def ask(addr, port, timeout_ms):
    s = client(addr)
    s.sendto(b"ask", (addr, port))
    r, _, _ = select.select([s], [], [], timeout_ms / 1000.0)
    if not r:
        return 1
    print(s.recv(2048).split(b" ")[0].decode())
    return 0

def until(addr, port, name, max_ms):
    s = client(addr)
    start = now_ms()
    seen = {}
    seq = 0
    nxt = start
    while now_ms() - start < max_ms:
        t = now_ms()
        if t >= nxt:
            seq += 1
            send_probe(s, seq, (addr, port))
            nxt += 5.0
        r, _, _ = select.select([s], [], [], max(0.0, (nxt - now_ms()) / 1000.0))
        while r:
            try:
                who = s.recv(2048).split(b" ")[0].decode()
            except BlockingIOError:
                break
            if who == name:
                print("%.3f %s" % (now_ms(), " ".join("%s=%d" % kv for kv in sorted(seen.items()))))
                return 0
            seen[who] = seen.get(who, 0) + 1
    print("none " + " ".join("%s=%d" % kv for kv in sorted(seen.items())))
    return 1

def probe(addr, port, period_ms, max_s, log):
    stop = stop_on_sigterm()
    s = client(addr)
    out = open(log, "w", buffering=1)
    start = now_ms()
    sent = {}
    seq = 0
    nxt = start
    while not stop and now_ms() - start < max_s * 1000.0:
        t = now_ms()
        if t >= nxt:
            seq += 1
            sent[seq] = t
            send_probe(s, seq, (addr, port))
            nxt += period_ms
            if nxt < t:
                nxt = t + period_ms
        try:
            r, _, _ = select.select([s], [], [], max(0.0, (nxt - now_ms()) / 1000.0))
        except InterruptedError:
            continue
        while r:
            try:
                data = s.recv(2048)
            except BlockingIOError:
                break
            t = now_ms()
            parts = data.split(b" ")
            try:
                q = int(parts[1])
            except (IndexError, ValueError):
                continue
            out.write("%.3f %s %d %.3f\n" % (t, parts[0].decode(), q, sent.get(q, 0.0)))
    out.close()
    return 0

def holders(ns_new, ns_old, addr, period_ms, max_s, outp):
    stop = stop_on_sigterm()
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    want = socket.inet_pton(fam, addr)
    enter(ns_new)
    sn = dump_socket()
    enter(ns_old)
    so = dump_socket()
    out = open(outp, "w", buffering=1)
    end = time.monotonic() + max_s
    seq = 0
    while not stop and time.monotonic() < end:
        seq += 1
        n = has_addr(sn, fam, want, seq)
        o = has_addr(so, fam, want, seq)
        out.write("%.3f %d %d\n" % (now_ms(), n, o))
        time.sleep(period_ms / 1000.0)
    out.close()
    return 0

def main(a):
    if a[0] == "serve":
        return serve(a[1], int(a[2]), float(a[3]))
    if a[0] == "ask":
        return ask(a[1], int(a[2]), float(a[3]))
    if a[0] == "until":
        return until(a[1], int(a[2]), a[3], float(a[4]))
    if a[0] == "probe":
        return probe(a[1], int(a[2]), float(a[3]), float(a[4]), a[5])
    if a[0] == "holders":
        return holders(a[1], a[2], a[3], float(a[4]), float(a[5]), a[6])
    print("unknown mode", a[0], file=sys.stderr)
    return 2

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
