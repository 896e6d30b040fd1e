# SPDX-License-Identifier: MIT
# tests/integration/lib_pki.sh: a test CA and server certificates made with openssl. Sourced by
# lib.sh and by lab/demo.sh; defines functions only.
# shellcheck shell=bash

# t_pki_ca DIR NAME [rsa|ec]: a self-signed CA "kcwatch test NAME" in DIR (NAME.pem, NAME.key),
# with an RSA 2048 (default) or an EC P-256 key (faster to make). 1 when openssl fails.
# DIR is mode 0755 and the files 0644: nginx workers (nobody) read them.
t_pki_ca() {
	local d=$1 k=(-newkey rsa:2048)
	if [ "${3:-rsa}" = ec ]; then k=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1); fi
	mkdir -p "$d" && chmod 755 "$d"
	openssl req -x509 "${k[@]}" -nodes -days 2 -subj "/CN=kcwatch test $2" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		-keyout "$d/$2.key" -out "$d/$2.pem" 2>/dev/null || return 1
	chmod 644 "$d/$2.key" "$d/$2.pem"
}
# t_pki_cert DIR NAME DNSNAME[,DNSNAME...] [rsa|ec]: a server certificate for the DNSNAMEs
# (subjectAltName; the first is the CN; "*.domain" works) in DIR (NAME.pem, NAME.key), signed by
# DIR/ca (t_pki_ca DIR ca). 1 when openssl fails.
t_pki_cert() {
	local d=$1 k=(-newkey rsa:2048)
	if [ "${4:-rsa}" = ec ]; then k=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1); fi
	printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n' \
		"${3//,/,DNS:}" >"$d/$2.ext"
	openssl req -new "${k[@]}" -nodes -subj "/CN=${3%%,*}" -keyout "$d/$2.key" -out "$d/$2.csr" 2>/dev/null ||
		return 1
	openssl x509 -req -in "$d/$2.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		-extfile "$d/$2.ext" -out "$d/$2.pem" 2>/dev/null || return 1
	chmod 644 "$d/$2.key" "$d/$2.pem"
}
