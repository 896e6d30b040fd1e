/* SPDX-License-Identifier: MIT */
/* hbforge.c: test tool: sends crafted heartbeats (any key, node, role, term, sequence) to a node. */
#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "heartbeat.h"
#include "hmac.h"

struct forge {
	struct hb_msg m;
	uint8_t key[128];
	size_t keylen;
	const char *dest;
	const char *bind_addr;
	int count;
	int repeat_same; /* send the identical datagram count times (a replay) */
};

static int read_key(const char *path, uint8_t *key, size_t *keylen)
{
	char b64[256];
	FILE *f = fopen(path, "r");
	int n;

	if (!f || !fgets(b64, sizeof(b64), f)) {
		fprintf(stderr, "hbforge: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	b64[strcspn(b64, "\r\n")] = '\0';
	n = EVP_DecodeBlock(key, (const unsigned char *)b64, (int)strlen(b64));
	if (n < 0)
		return -1;
	while (n > 0 && strlen(b64) > 1 && b64[strlen(b64) - 1] == '=') {
		b64[strlen(b64) - 1] = '\0';
		n--;
	}
	*keylen = (size_t)n;
	return 0;
}

static int parse(int argc, char **argv, struct forge *f)
{
	int c;

	f->m.version = HB_VERSION;
	f->m.role = 2;
	f->m.priority = f->m.eff_priority = 254;
	f->m.term = 1000;
	f->m.seq = 1;
	f->m.interval_ms = 200;
	f->count = 1;
	while ((c = getopt(argc, argv, "k:Kc:n:r:t:p:s:i:d:b:x:RL:V:")) != -1) {
		switch (c) {
		case 'k': if (read_key(optarg, f->key, &f->keylen) < 0) return -1; break;
		case 'K': f->keylen = 32; memset(f->key, 0x5a, 32); break;
		case 'c': snprintf(f->m.cluster, sizeof(f->m.cluster), "%s", optarg); break;
		case 'n': snprintf(f->m.node, sizeof(f->m.node), "%s", optarg); break;
		case 'r': f->m.role = atoi(optarg); break;
		case 't': f->m.term = strtoull(optarg, NULL, 10); break;
		case 'p': f->m.priority = f->m.eff_priority = (uint32_t)atoi(optarg); break;
		case 's': f->m.seq = strtoull(optarg, NULL, 10); break;
		case 'i': f->m.incarnation = strtoull(optarg, NULL, 10); break;
		case 'd': f->dest = optarg; break;
		case 'b': f->bind_addr = optarg; break;
		case 'x': f->count = atoi(optarg); break;
		case 'R': f->repeat_same = 1; break;
		case 'L': snprintf(f->m.leader, sizeof(f->m.leader), "%s", optarg); break;
		case 'V': f->m.version = (uint32_t)atoi(optarg); break;
		default: return -1;
		}
	}
	if (!f->dest || !f->keylen) {
		fprintf(stderr, "usage: hbforge (-k KEYFILE | -K) -d ADDR:PORT [-b SRCADDR] -c CLUSTER "
				"-n NODE [-r ROLE] [-t TERM] [-p PRIO] [-s SEQ] [-i INCARNATION] "
				"[-x COUNT] [-R] [-L LEADER] [-V VERSION]\n");
		return -1;
	}
	return 0;
}

static int open_sock(const struct forge *f, struct sockaddr_storage *dst, socklen_t *dl)
{
	struct kcw_addr a, b;
	uint16_t port;
	int fd;

	if (addr_parse_hostport(f->dest, &a, &port) < 0) {
		fprintf(stderr, "hbforge: bad destination %s\n", f->dest);
		return -1;
	}
	*dl = addr_to_sockaddr(&a, port, dst);
	fd = socket(a.family, SOCK_DGRAM, 0);
	if (fd >= 0 && f->bind_addr) {
		struct sockaddr_storage src;
		socklen_t sl;

		if (addr_parse(f->bind_addr, &b) < 0)
			return -1;
		sl = addr_to_sockaddr(&b, 0, &src);
		if (bind(fd, (struct sockaddr *)&src, sl) < 0) {
			perror("hbforge: bind");
			return -1;
		}
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct forge f = {0};
	struct sockaddr_storage dst;
	socklen_t dl;
	uint8_t buf[HB_MAX_DATAGRAM];
	struct hmac *h;
	int fd, len = 0;

	if (parse(argc, argv, &f) < 0)
		return 2;
	h = hmac_new(f.key, f.keylen);
	fd = open_sock(&f, &dst, &dl);
	if (!h || fd < 0)
		return 1;
	for (int i = 0; i < f.count; i++) {
		if (i == 0 || !f.repeat_same) {
			len = hb_encode(&f.m, h, buf, sizeof(buf));
			f.m.seq++;
		}
		if (len < 0 || sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&dst, dl) < 0) {
			perror("hbforge: send");
			return 1;
		}
	}
	close(fd);
	hmac_free(h);
	return 0;
}
