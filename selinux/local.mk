# SPDX-License-Identifier: MIT
# selinux/local.mk: build rules for selinux/ (included by Makefile.am): `make selinux` builds
# the policy module selinux/kcwatch.pp with the selinux-policy devel Makefile (RHEL:
# selinux-policy-devel; Debian: selinux-policy-dev), which must be installed.
SELINUX_DEVEL_MAKEFILE = /usr/share/selinux/devel/Makefile
SELINUX_SRC = selinux/kcwatch.te selinux/kcwatch.fc selinux/kcwatch.if
EXTRA_DIST += $(SELINUX_SRC)
CLEANFILES += selinux/kcwatch.pp

# The devel Makefile works in the current directory: the sources are copied next to the
# module in an out-of-tree build. ("selinux" is also the directory: the rule stays correct
# because selinux/kcwatch.pp has its own prerequisites.)
selinux: selinux/kcwatch.pp
selinux/kcwatch.pp: $(SELINUX_SRC:%=$(srcdir)/%)
	@test -f $(SELINUX_DEVEL_MAKEFILE) || { \
		echo "make selinux: $(SELINUX_DEVEL_MAKEFILE) is missing: install selinux-policy-devel (Debian: selinux-policy-dev)" >&2; \
		exit 1; }
	$(AM_V_at)$(MKDIR_P) selinux
	$(AM_V_at)if test "$(abs_srcdir)" != "$(abs_builddir)"; then \
		for f in $(SELINUX_SRC); do cp $(srcdir)/$$f selinux/ || exit 1; done; fi
	$(AM_V_GEN)$(MAKE) -C selinux -f $(SELINUX_DEVEL_MAKEFILE) kcwatch.pp >selinux/build.log 2>&1 || \
		{ cat selinux/build.log >&2; exit 1; }

clean-local: clean-selinux
clean-selinux:
	rm -rf selinux/tmp selinux/build.log
	if test "$(abs_srcdir)" != "$(abs_builddir)"; then \
		for f in $(SELINUX_SRC); do rm -f $$f; done; fi
