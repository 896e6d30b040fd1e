/* SPDX-License-Identifier: MIT */
/* realtime.c: the daemon's scheduling: a short time slice always; SCHED_RR and locked memory
 * with [cluster] realtime = yes. */
#include "realtime.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

/* The kernel's struct sched_attr (first version, 48 bytes), spelt out here: glibc before 2.41
 * has no sched_setattr(), and <linux/sched/types.h> clashes with <sched.h> on some systems. */
struct slice_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

#define SLICE_FLAG_RESET_ON_FORK 0x01

int realtime_short_slice(void)
{
	struct slice_attr a = {.size = sizeof(a),
			       .policy = SCHED_OTHER,
			       .flags = SLICE_FLAG_RESET_ON_FORK,
			       .runtime = REALTIME_SLICE_US * 1000ULL};

	if (syscall(SYS_sched_setattr, 0, &a, 0) < 0) {
		int rc = -errno;

		log_warn("a %d us time slice was refused (%s): under systemd the unit needs "
			 "SystemCallFilter=sched_setattr; the kernel's default slice stays",
			 REALTIME_SLICE_US, strerror(-rc));
		return rc;
	}
	return 0;
}

int realtime_apply(void)
{
	struct sched_param sp = {.sched_priority = REALTIME_PRIORITY};
	int rc = 0;

	if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &sp) < 0) {
		rc = -errno;
		log_warn("realtime = yes, but SCHED_RR was refused (%s): under systemd the unit "
			 "needs RestrictRealtime=no and LimitRTPRIO=%d; running with normal "
			 "scheduling",
			 strerror(errno), REALTIME_PRIORITY);
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
		if (rc == 0)
			rc = -errno;
		log_warn("realtime = yes, but mlockall was refused (%s): under systemd the unit "
			 "needs LimitMEMLOCK= (e.g. 256M); memory stays pageable",
			 strerror(errno));
	}
	if (rc == 0)
		log_notice("realtime: SCHED_RR priority %d, memory locked", REALTIME_PRIORITY);
	return rc;
}
