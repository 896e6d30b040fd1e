#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_libs.sh: kcwatchd opens libcurl only when the config has [backend] sections: a node
# without backends does not map it (nor GnuTLS, which Debian's libcurl pulls in), a node with
# backends does, and a missing libcurl is a start-up error that names it.
. "$(dirname "$0")/lib.sh"
t_require_root
t_require_tools openssl unshare

t_lan lb1 lb2
t_keyfile "$T_DIR/cluster.key"
t_pki_ca "$T_DIR/pki" ca ec || { t_notok "openssl: test CA"; t_done; exit 1; }

plain=$T_DIR/plain.conf
t_conf_cluster "$plain" port=7112
with_backends=$T_DIR/backends.conf
cp "$plain" "$with_backends"
t_conf_backend "$with_backends" sno1 https://sno1.libs.test/health 10.77.0.251:443 \
	"$T_DIR/pki/ca.pem" expect-json-status=UP haproxy-server=sno1
cat >>"$with_backends" <<EOF

[backends]
failback = never
haproxy-socket = $T_DIR/haproxy.sock
haproxy-backend = keycloakbackend

[hooks]
on-leader = $T_DIR/env-hook.sh
EOF
# the hook records the environment a hook gets from the daemon
printf '#!/bin/sh\nenv >"%s/hook.env"\n' "$T_DIR" >"$T_DIR/env-hook.sh"
chmod 755 "$T_DIR/env-hook.sh"

maps_of() { cat /proc/"${T_NODE_PID[$1]}"/maps 2>/dev/null; }
running() { kill -0 "${T_NODE_PID[$1]}" 2>/dev/null && [ -S "$T_DIR/$1.sock" ]; }

# --- no backends: no libcurl, no GnuTLS ---------------------------------------------------------
t_start lb1 "$plain"
t_wait 3000 running lb1 >/dev/null
maps=$(maps_of lb1)
t_check "without backends the daemon runs" grep -q libcrypto <<<"$maps"
t_check "without backends libcurl is not mapped" bash -c '! grep -q libcurl <<<"$1"' _ "$maps"
t_check "without backends GnuTLS is not mapped" bash -c '! grep -q libgnutls <<<"$1"' _ "$maps"
t_stop lb1

# --- with backends: libcurl mapped, GnuTLS mapped but not initialised -------------------------
t_start lb1 "$with_backends"
t_wait 3000 running lb1 >/dev/null
maps=$(maps_of lb1)
t_check "with backends libcurl is mapped" grep -q 'libcurl\.so\.4' <<<"$maps"
t_wait 5000 test -s "$T_DIR/hook.env" >/dev/null
t_check "the on-leader hook ran" grep -q '^KCWATCH_' "$T_DIR/hook.env"
t_check "the hook's environment has no GNUTLS_NO_IMPLICIT_INIT (set for the dlopen only)" \
	bash -c '! grep -q "^GNUTLS_NO_IMPLICIT_INIT=" "$1"' _ "$T_DIR/hook.env"
t_stop lb1

# --- libcurl missing: a start-up error naming it ----------------------------------------------
lib=$(ldconfig -p | awk '$1 == "libcurl.so.4" && /x86-64|64bit/ { print $NF; exit }')
[ -n "$lib" ] || lib=$(ldconfig -p | awk '$1 == "libcurl.so.4" { print $NF; exit }')
out=$(ip netns exec "$(t_ns lb1)" unshare -m sh -c \
	'mount --bind /dev/null "$1" && exec timeout 10 "$2" -c "$3" -n lb1 -s "$4"' \
	_ "$lib" "$KCWATCHD" "$with_backends" "$T_DIR/nolib.sock" 2>&1)
rc=$?
t_eq "without libcurl a config with backends does not start (exit 1)" "$rc" 1
t_check "the error names the library and why it is needed ($(head -c 160 <<<"$out"))" \
	grep -q "error: cannot start: health: cannot load libcurl.so.4, needed for \[backend\] checks and coordinator = etcd: " <<<"$out"
out=$(ip netns exec "$(t_ns lb1)" unshare -m sh -c \
	'mount --bind /dev/null "$1" && exec timeout 3 "$2" -c "$3" -n lb1 -s "$4"' \
	_ "$lib" "$KCWATCHD" "$plain" "$T_DIR/nolib.sock" 2>&1)
rc=$?
t_eq "without libcurl a config without backends still runs (until timeout's SIGTERM)" "$rc" 124
t_check "it led meanwhile" grep -q "role init -> leader" <<<"$out"

t_done
