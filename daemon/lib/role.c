/* SPDX-License-Identifier: MIT */
/* role.c: role names as operators and JSON consumers see them. */
#include "role.h"

const char *role_name(enum kcw_role role)
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
	}
	return "unknown"; /* out of range: every enumerator is listed above (-Wswitch-enum) */
}
