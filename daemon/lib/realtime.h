/* SPDX-License-Identifier: MIT */
/* realtime.h: the daemon's scheduling: a short time slice always; SCHED_RR and locked memory
 * with [cluster] realtime = yes. */
#ifndef KCW_REALTIME_H
#define KCW_REALTIME_H

/* The SCHED_RR priority asked for: above every normal task, below the kernel's threaded
 * interrupts (50) and any other real-time service. */
#define REALTIME_PRIORITY 1

/* The time slice kcwatchd asks for: the shortest the kernel grants (0.1 ms). */
#define REALTIME_SLICE_US 100

/*
 * Asks the kernel for a REALTIME_SLICE_US time slice, still SCHED_OTHER at nice 0 (no
 * privilege needed). kcwatchd's work comes in short bursts that are late when they wait:
 * a heartbeat that waits behind busy tasks is a leader that looks dead. The EEVDF scheduler
 * (Linux 6.12 and later) runs a waking task with a shorter slice before tasks that asked for
 * none, so the daemon gets the CPU sooner on a loaded host, and it still gets no more CPU
 * than its fair share. Older kernels accept the request and keep their own rules. Children
 * (the hooks) start with the default slice. Returns 0 or the negative errno (logged).
 */
int realtime_short_slice(void);

/*
 * Switches the calling process to SCHED_RR at REALTIME_PRIORITY (children it forks, the
 * hooks, start with normal scheduling: SCHED_RESET_ON_FORK) and locks its memory
 * (mlockall(MCL_CURRENT | MCL_FUTURE)). Each refusal is logged with what the service unit
 * needs, and the daemon goes on without it. Returns 0 when both took effect, else the
 * negative errno of the first refusal.
 */
int realtime_apply(void);

#endif
