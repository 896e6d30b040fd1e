/* SPDX-License-Identifier: MIT */
/* hbflood.c: test tool: floods a UDP port with datagrams of random bytes at a fixed rate. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"

#define FLOOD_MAX_RATE	  1000000 /* datagrams per second */
#define FLOOD_MAX_SECONDS 60
#define FLOOD_BATCH	  128
#define FLOOD_POOL	  (64 * 1024)
#define FLOOD_MIN_LEN	  16
#define FLOOD_MAX_LEN	  512

struct flood {
	int fd;
	struct sockaddr_storage dst;
	socklen_t dlen;
	uint8_t pool[FLOOD_POOL];
	struct mmsghdr msgs[FLOOD_BATCH];
	struct iovec iovs[FLOOD_BATCH];
	unsigned long long sent, errors;
};

static int usage(void)
{
	fprintf(stderr,
		"usage: hbflood ADDRESS PORT RATE SECONDS\n"
		"  sends RATE datagrams/s (<= 1000000) of 16..512 random bytes to ADDRESS:PORT\n"
		"  for SECONDS (<= 60), then prints \"sent N errors N\"\n");
	return 2;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* n datagrams, each a random slice of the pool with a random length. */
static void send_some(struct flood *f, unsigned n)
{
	uint32_t r[FLOOD_BATCH];
	unsigned done = 0;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0x5a, sizeof(r));
	for (unsigned i = 0; i < n; i++) {
		size_t len = FLOOD_MIN_LEN + (r[i] >> 16) % (FLOOD_MAX_LEN - FLOOD_MIN_LEN + 1);

		f->iovs[i].iov_base = f->pool + (r[i] & 0xffff) % (FLOOD_POOL - FLOOD_MAX_LEN);
		f->iovs[i].iov_len = len;
		memset(&f->msgs[i], 0, sizeof(f->msgs[i]));
		f->msgs[i].msg_hdr.msg_iov = &f->iovs[i];
		f->msgs[i].msg_hdr.msg_iovlen = 1;
		f->msgs[i].msg_hdr.msg_name = &f->dst;
		f->msgs[i].msg_hdr.msg_namelen = f->dlen;
	}
	while (done < n) {
		int k = sendmmsg(f->fd, f->msgs + done, n - done, 0);

		if (k <= 0) {
			f->errors += n - done; /* counted, not retried: the rate is what it is */
			return;
		}
		f->sent += (unsigned)k;
		done += (unsigned)k;
	}
}

/* Every millisecond the datagrams due by then: the rate holds on average, bursts are small. */
static void run(struct flood *f, long rate, long seconds)
{
	uint64_t start = now_ns(), end = start + (uint64_t)seconds * 1000000000u;
	unsigned long long due_total = 0;

	for (uint64_t t = start; t < end; t = now_ns()) {
		unsigned long long due =
		    (unsigned long long)((t - start) / 1000000u + 1) * rate / 1000;
		struct timespec next = {.tv_sec = 0, .tv_nsec = 1000000};

		while (due_total < due) {
			unsigned n = due - due_total > FLOOD_BATCH ? FLOOD_BATCH
								   : (unsigned)(due - due_total);
			send_some(f, n);
			due_total += n;
		}
		nanosleep(&next, NULL);
	}
}

int main(int argc, char **argv)
{
	static struct flood f;
	struct kcw_addr a;
	long port, rate, seconds;

	if (argc != 5)
		return usage();
	port = strtol(argv[2], NULL, 10);
	rate = strtol(argv[3], NULL, 10);
	seconds = strtol(argv[4], NULL, 10);
	if (addr_parse(argv[1], &a) < 0 || port < 1 || port > 65535 || rate < 1 ||
	    rate > FLOOD_MAX_RATE || seconds < 1 || seconds > FLOOD_MAX_SECONDS)
		return usage();
	f.dlen = addr_to_sockaddr(&a, (uint16_t)port, &f.dst);
	f.fd = socket(a.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (f.fd < 0) {
		perror("hbflood: socket");
		return 1;
	}
	if (getrandom(f.pool, sizeof(f.pool), 0) != (ssize_t)sizeof(f.pool)) {
		perror("hbflood: getrandom");
		return 1;
	}
	run(&f, rate, seconds);
	printf("sent %llu errors %llu\n", f.sent, f.errors);
	close(f.fd);
	return 0;
}
