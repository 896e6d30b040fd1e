#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_keyrotate.sh: hitless cluster-key rotation. A 2-node cluster with a VIP and a client
# probing it every 20 ms goes through the three steps (add the new key as line 2 everywhere and
# reload; swap the lines and reload; drop the old line and reload), one node after the other:
# no leader change, no VIP move, no heartbeat dropped for its tag; key ids in status follow.
. "$(dirname "$0")/lib.sh"
t_require_root
t_require_tools jq sha256sum

t_lan lb1 lb2 client
vip=10.77.0.100
# one directory per node: the same relative key-file, so the configs are identical (digest)
for n in lb1 lb2; do
	mkdir -p "$T_DIR/$n"
	t_conf_cluster "$T_DIR/$n/kcwatch.conf" port=7112 key-file=cluster.key preempt=no lb1:150 lb2:100
	t_conf_vip "$T_DIR/$n/kcwatch.conf" vip "$vip/24"
done
head -c 32 /dev/urandom | base64 >"$T_DIR/old.b64"
head -c 32 /dev/urandom | base64 >"$T_DIR/new.b64"
keys() { # NODE LINE-FILES...: writes NODE's key file from the given one-line files
	local n=$1
	shift
	cat "$@" >"$T_DIR/$n/cluster.key"
	chmod 0600 "$T_DIR/$n/cluster.key"
}
key_id() { { printf 'kcwatch key id\0'; base64 -d <"$1"; } | sha256sum | cut -c1-8; }
old_id=$(key_id "$T_DIR/old.b64")
new_id=$(key_id "$T_DIR/new.b64")
keys lb1 "$T_DIR/old.b64"
keys lb2 "$T_DIR/old.b64"

one_leader_lb1() { [ "$(t_role lb1)/$(t_role lb2)" = leader/follower ] && t_holds lb1 "$vip"; }
t_start lb1 "$T_DIR/lb1/kcwatch.conf"
t_start lb2 "$T_DIR/lb2/kcwatch.conf"
ms=$(t_wait 3000 one_leader_lb1); rc=$?
t_check "lb1 leads with the VIP (${ms} ms)" [ $rc -eq 0 ]
t_eq "status --json: own key_id is the key's id" "$(t_field lb1 .key_id)" "$old_id"
t_eq "status --json: lb2 sees lb1 sign with it" "$(t_field lb2 '.peers[0].key_id')" "$old_id"

# the probing client and a VIP sampler for the whole rotation
t_echo lb1 9000
t_echo lb2 9000
py=$(t_tool_py)
ip netns exec "$(t_ns client)" "$T_PY" "$py" probe "$vip" 9000 20 60 "$T_DIR/probe.log" &
probe=$!
T_PIDS+=($probe)
t_execd $probe
t_sampler lb2 lb1 "$vip" "$T_DIR/holders.txt" 5 60
sleep 1
changes0="$(t_field lb1 .leader_changes)/$(t_field lb2 .leader_changes)"
auth0="$(t_field lb1 .heartbeat.dropped.auth)/$(t_field lb2 .heartbeat.dropped.auth)"

reload() { # NODE STEP
	local out rc
	out=$(t_ctl "$1" reload 2>&1); rc=$?
	t_eq "$2: $1 reloads ($out)" "$rc" 0
	sleep 1 # several heartbeats each way with the two nodes on different key files
}
differ_warned() { t_ctl "$1" status | grep -q "^warning: nodes sign with different keys"; }
no_differ() { ! differ_warned "$1"; }

# step 1: the new key as line 2 everywhere (both still sign with the old one)
keys lb1 "$T_DIR/old.b64" "$T_DIR/new.b64"
reload lb1 "step 1"
t_eq "step 1: lb1 verifies the new key, signs with the old" \
	"$(t_field lb1 .key_id)/$(t_field lb1 .key_id_verify_only)" "$old_id/$new_id"
keys lb2 "$T_DIR/old.b64" "$T_DIR/new.b64"
reload lb2 "step 1"
# step 2: swap the lines: the new key signs
keys lb1 "$T_DIR/new.b64" "$T_DIR/old.b64"
reload lb1 "step 2"
t_eq "step 2: lb2 sees lb1 sign with the new key" "$(t_field lb2 '.peers[0].key_id')" "$new_id"
t_check "step 2: kcwatchctl status on lb1 warns that the nodes sign with different keys" differ_warned lb1
t_check "step 2: and on lb2" differ_warned lb2
t_eq "step 2: lb1 still leads, lb2 follows" "$(t_role lb1)/$(t_role lb2)" leader/follower
keys lb2 "$T_DIR/new.b64" "$T_DIR/old.b64"
reload lb2 "step 2"
t_check "step 2 done: no warning any more" no_differ lb1
# step 3: drop the old key
keys lb1 "$T_DIR/new.b64"
reload lb1 "step 3"
keys lb2 "$T_DIR/new.b64"
reload lb2 "step 3"
t_eq "step 3: both sign with the new key, nothing else verifies" \
	"$(t_field lb1 .key_id)/$(t_field lb2 .key_id)/$(t_field lb1 .key_id_verify_only)" "$new_id/$new_id/null"
t_eq "step 3: each sees the other sign with it" \
	"$(t_field lb1 '.peers[0].key_id')/$(t_field lb2 '.peers[0].key_id')" "$new_id/$new_id"

t_eq "zero leader changes during the rotation (lb1/lb2)" \
	"$(t_field lb1 .leader_changes)/$(t_field lb2 .leader_changes)" "$changes0"
t_eq "no heartbeat dropped for its tag (auth, lb1/lb2)" \
	"$(t_field lb1 .heartbeat.dropped.auth)/$(t_field lb2 .heartbeat.dropped.auth)" "$auth0"
t_eq "lb1 still leads, lb2 follows" "$(t_role lb1)/$(t_role lb2)" leader/follower
t_sampler_stop
t_kill TERM "$probe"
wait "$probe" 2>/dev/null
t_forget "$probe"
samples=$(wc -l <"$T_DIR/holders.txt")
moves=$(awk '$3 != 1 || $2 != 0' "$T_DIR/holders.txt" | wc -l)
t_check "the VIP sampler ran ($samples samples)" [ "$samples" -gt 500 ]
t_eq "zero VIP moves: lb1 held it alone at every sample" "$moves" 0
replies=$(wc -l <"$T_DIR/probe.log")
others=$(awk '$2 != "lb1"' "$T_DIR/probe.log" | wc -l)
gap=$(awk 'NR > 1 && $1 - p > g { g = $1 - p } { p = $1 } END { printf "%d", g }' "$T_DIR/probe.log")
t_check "the client got replies all along ($replies)" [ "$replies" -gt 300 ]
t_eq "every reply came from lb1" "$others" 0
t_le "longest gap between replies (ms)" "$gap" 500

t_done
