/* SPDX-License-Identifier: MIT */
/* realtime.c: [cluster] realtime = yes: SCHED_RR and locked memory for short intervals. */
#include "realtime.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"

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
