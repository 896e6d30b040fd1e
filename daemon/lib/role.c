/* SPDX-License-Identifier: MIT */
/* role.c: role names as operators and JSON consumers see them. */
#include "role.h"

const char *role_name(int role)
{
	switch (role) {
	case ROLE_INIT:
		return "init";
	case ROLE_FOLLOWER:
		return "follower";
	case ROLE_LEADER:
		return "leader";
	case ROLE_FAULT:
		return "fault";
	case ROLE_WITNESS:
		return "witness";
	default:
		return "unknown";
	}
}
