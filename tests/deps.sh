# SPDX-License-Identifier: MIT
# tests/deps.sh: sourced by tests/run.sh and lab/demo.sh: installs missing Debian packages.
KCW_PACKAGES="build-essential autoconf automake libtool pkg-config
 libnl-3-dev libnl-route-3-dev libssl-dev libldns-dev libcurl4-openssl-dev
 libprotobuf-c-dev protobuf-c-compiler libcmocka-dev libjson-c-dev
 bind9 bind9-dnsutils nginx-light haproxy iproute2 nftables tcpdump rpm openssl
 keepalived procps python3 jq bc curl util-linux clang libclang-rt-14-dev valgrind systemd
 systemd-container prometheus stress-ng etcd-server etcd-client
 selinux-policy-dev checkpolicy semodule-utils rpmlint"

deps_install() {
	local missing=() p
	for p in $KCW_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages: ${missing[*]} (run as root to install them)" >&2
		return 1
	fi
	echo "==> installing: ${missing[*]}"
	local i
	# A fresh machine may hold the dpkg lock for a while (unattended upgrades).
	for i in 1 2 3 4 5 6 7 8 9 10; do
		if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null; then
			return 0
		fi
		echo "apt-get failed (attempt $i), retrying in 10 s" >&2
		sleep 10
	done
	return 1
}
