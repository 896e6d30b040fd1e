#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/check_includes.sh: the layering the folders show, kept by make check (TAP).
#   1. Only the files directly in daemon/ (main, daemon, reload, naming, command, status, ops:
#      the users of struct kcwd) include daemon.h; no file in daemon's feature folders, dns/
#      or ctl/ does.
#   2. The pure cores (libkcw_core.a's sources outside daemon/lib/: election*, backend,
#      healthclass, replay, etcdlead, etcdjson, hapwatch, fence, plan) include no event-loop,
#      socket, netlink, libcurl or ldns header themselves. (addr.h's <sys/socket.h> for struct sockaddr_storage, reached through
#      config.h, is a type, not a call: the check looks at each file's own #include lines.)
top=${srcdir:-.}
cd "$top" || exit 1
fail=0
echo "1..2"

bad=$(grep -l '^#include "daemon\.h"' $(find daemon/*/ dns ctl -name '*.[ch]' 2>/dev/null) 2>/dev/null)
if [ -z "$bad" ]; then
	echo "ok 1 - daemon.h is included only by the files directly in daemon/"
else
	echo "not ok 1 - daemon.h included outside daemon/*.c:" $bad
	fail=1
fi

# The pure cores are the sources of libkcw_core.a (Makefile.am) outside daemon/lib/, whose small
# libraries (addr, role, strutil) they link: one list, so a core added there is checked here.
pure=$(sed -n '/^libkcw_core_a_SOURCES *=/,/^[[:space:]]*$/p' Makefile.am | tr ' \t\\' '\n\n\n' |
	grep -E '\.[ch]$' | grep -v '^daemon/lib/' | LC_ALL=C sort)
forbidden='^#include ("(loop|curlloop|curldl|peer|vip|garp|linkwatch|vipset|control|health|haproxy|etcd|dns|dnsmsg|metrics_http)\.h"|<(sys/socket|sys/epoll|sys/timerfd|sys/signalfd|netlink/.*|linux/(netlink|rtnetlink|if_packet)|netinet/.*|arpa/inet|curl/.*|ldns/.*)\.h>)'
n=$(printf '%s\n' $pure | grep -c .)
hits=$(grep -EHn "$forbidden" $pure 2>/dev/null)
if [ "$n" -ge 10 ] && [ -z "$hits" ]; then
	echo "ok 2 - the $n files of the pure cores include no loop, socket, netlink, curl or ldns header"
else
	echo "not ok 2 - pure cores ($n files) with I/O headers:"
	printf '%s\n' "$hits" | sed 's/^/#   /'
	fail=1
fi
exit $fail
