# SPDX-License-Identifier: MIT
# firewalld/local.mk: build rules for firewalld/ (included by Makefile.am): the firewalld services.
# RHEL's default zone drops the heartbeat: `firewall-cmd --permanent --add-service=kcwatch`.
firewalldservicedir = $(prefix)/lib/firewalld/services
dist_firewalldservice_DATA = firewalld/kcwatch.xml firewalld/kcwatch-metrics.xml
