/* SPDX-License-Identifier: MIT */
/* garp.h: VIP announcements: gratuitous ARP over AF_PACKET, unsolicited NA over raw ICMPv6. */
#ifndef KCW_GARP_H
#define KCW_GARP_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct garp;

/* An announcer with no socket open yet. NULL when out of memory. */
struct garp *garp_new(void);
/* Closes the sockets. */
void garp_free(struct garp *g);

/* Opens the AF_PACKET socket for gratuitous ARP (needs CAP_NET_RAW). 0 or negative errno. */
int garp_open_arp(struct garp *g);
/* Opens the raw ICMPv6 socket for Neighbour Advertisements (needs CAP_NET_RAW). */
int garp_open_na(struct garp *g);

/*
 * Sends one announcement of addr out of ifindex, whose link-layer address is mac
 * (mac_len must be 6: Ethernet-like). IPv4: an ARP request with sender IP = target
 * IP = addr, broadcast. IPv6: an unsolicited NA to ff02::1 with the override flag,
 * target addr and a target link-layer address option, hop limit 255, sent from addr.
 * Non-blocking: 0, or negative errno (-EAGAIN when the socket buffer is full,
 * -ENETDOWN, ...); -EBADF when the needed socket was not opened.
 */
int garp_send(struct garp *g, int ifindex, const uint8_t *mac, size_t mac_len,
	      const struct kcw_addr *addr);

#endif
