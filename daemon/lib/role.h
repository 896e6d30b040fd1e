/* SPDX-License-Identifier: MIT */
/* role.h: the node roles shared by election, heartbeat and status. */
#ifndef KCW_ROLE_H
#define KCW_ROLE_H

enum kcw_role {
	ROLE_INIT = 0,
	ROLE_FOLLOWER = 1,
	ROLE_LEADER = 2,
	ROLE_FAULT = 3,
	ROLE_WITNESS = 4,
};

/* "init", "follower", "leader", "fault", "witness"; "unknown" for a value out of range. */
const char *role_name(enum kcw_role role);

#endif
