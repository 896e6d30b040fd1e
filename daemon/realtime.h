/* SPDX-License-Identifier: MIT */
/* realtime.h: [cluster] realtime = yes: SCHED_RR and locked memory for short intervals. */
#ifndef KCW_REALTIME_H
#define KCW_REALTIME_H

/* The SCHED_RR priority asked for: above every normal task, below the kernel's threaded
 * interrupts (50) and any other real-time service. */
#define REALTIME_PRIORITY 1

/*
 * Switches the calling process to SCHED_RR at REALTIME_PRIORITY (children it forks, the
 * hooks, start with normal scheduling: SCHED_RESET_ON_FORK) and locks its memory
 * (mlockall(MCL_CURRENT | MCL_FUTURE)). Each refusal is logged with what the service unit
 * needs, and the daemon goes on without it. Returns 0 when both took effect, else the
 * negative errno of the first refusal.
 */
int realtime_apply(void);

#endif
