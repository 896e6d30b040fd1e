# SPDX-License-Identifier: MIT
# kcwnet.py: what the test tools share: the answering UDP service, entering a network
# namespace, and reading interface addresses over netlink (no process start per sample).
import ctypes, os, select, signal, socket, struct, sys, time

IP_PKTINFO = 8  # linux/in.h; not exported by every Python build
CLONE_NEWNET = 0x40000000
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTMGRP_IPV4_IFADDR = 0x10

_libc = ctypes.CDLL(None, use_errno=True)


def stop_on_sigterm():
    """A list that becomes non-empty when SIGTERM arrives: the tools' loops end on it."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    return stop


def send_probe(s, seq, dest):
    """Sends probe number seq to dest; a send that fails (no route, EPERM) is a lost probe."""
    try:
        s.sendto(b"%d" % seq, dest)
    except OSError:
        pass


def serve(name, port, max_s):
    """Answers each datagram with "NAME <payload>" from the address it was sent to
    (IP_PKTINFO / IPV6_PKTINFO), on 0.0.0.0 and ::, for MAX_S or until SIGTERM."""
    stop = stop_on_sigterm()
    s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s4.setsockopt(socket.SOL_IP, IP_PKTINFO, 1)
    s4.bind(("0.0.0.0", port))
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    s6.bind(("::", port))
    end = time.monotonic() + max_s
    print("serving", name, port, flush=True)
    while not stop and time.monotonic() < end:
        try:
            r, _, _ = select.select([s4, s6], [], [], 0.5)
        except InterruptedError:
            continue
        for s in r:
            data, anc, _, peer = s.recvmsg(2048, 256)
            cmsg = []
            for level, typ, d in anc:
                if s is s4 and level == socket.SOL_IP and typ == IP_PKTINFO:
                    dst = d[8:12]  # ipi_addr: where the datagram was sent to
                    cmsg = [(socket.SOL_IP, IP_PKTINFO, struct.pack("=i4s4s", 0, dst, dst))]
                elif s is s6 and level == socket.IPPROTO_IPV6 and typ == socket.IPV6_PKTINFO:
                    cmsg = [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, d[:20])]
            try:
                s.sendmsg([name.encode() + b" " + data], cmsg, 0, peer)
            except OSError as e:
                print("send:", e, file=sys.stderr, flush=True)
    return 0


def enter(ns):
    """Moves this process into network namespace NS (/run/netns/NS). Sockets made before
    stay in their own namespace: a tool can hold sockets in several."""
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns %s: %s" % (ns, os.strerror(e)))
    finally:
        os.close(fd)


def addr_msgs(buf):
    """(type, [addresses]) per RTM_NEWADDR/RTM_DELADDR in a netlink buffer; (DONE|ERROR, [])
    markers where a dump ends."""
    out, off = [], 0
    while off + 16 <= len(buf):
        ln, typ, _, _, _ = struct.unpack_from("=IHHII", buf, off)
        if ln < 16:
            break
        if typ in (NLMSG_DONE, NLMSG_ERROR):
            out.append((typ, []))
        elif typ in (RTM_NEWADDR, RTM_DELADDR):
            addrs, a = [], off + 16 + 8
            while a + 4 <= off + ln:
                rl, rt = struct.unpack_from("=HH", buf, a)
                if rl < 4:
                    break
                if rt in (1, 2):  # IFA_ADDRESS, IFA_LOCAL
                    addrs.append(buf[a + 4:a + rl])
                a += (rl + 3) & ~3
            out.append((typ, addrs))
        off += (ln + 3) & ~3
    return out


def dump_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)  # NETLINK_ROUTE
    s.bind((0, 0))
    return s


def has_addr(s, fam, want, seq):
    """One RTM_GETADDR dump on netlink socket S: is address WANT (bytes) present?"""
    s.send(struct.pack("=IHHII", 24, RTM_GETADDR, 0x301, seq, 0) +
           struct.pack("=BBBBI", fam, 0, 0, 0, 0))
    found = False
    while True:
        msgs = addr_msgs(s.recv(65536))
        if not msgs:
            return found
        for typ, addrs in msgs:
            if typ in (NLMSG_DONE, NLMSG_ERROR):
                return found
            if typ == RTM_NEWADDR and want in addrs:
                found = True
