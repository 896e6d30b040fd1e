# SPDX-License-Identifier: MIT
# rpm/local.mk: build rules for rpm/ (included by Makefile.am): the spec, the sysusers file, `make rpm`.

# --- the spec: version from configure, shipped in the tarball so `rpmbuild -tb` works -------
# No configure.ac line: the spec is made here, from PACKAGE_VERSION, when `make dist` needs it.
EXTRA_DIST += rpm/kcwatch.spec.in rpm/kcwatch.spec
# the RPM's /etc/kcwatch/kcwatch.conf: no nodes yet, so -t points at the example
EXTRA_DIST += rpm/kcwatch.conf
# rpmlint -r rpm/kcwatch.rpmlintrc: the findings that do not apply to RHEL 9, and why
EXTRA_DIST += rpm/kcwatch.rpmlintrc
DISTCLEANFILES = rpm/kcwatch.spec

rpm/kcwatch.spec: $(srcdir)/rpm/kcwatch.spec.in $(top_builddir)/config.status
	$(AM_V_GEN)$(MKDIR_P) rpm && \
	sed -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' -e 's|@PACKAGE_URL[@]|$(PACKAGE_URL)|g' \
		$(srcdir)/rpm/kcwatch.spec.in >$@.tmp && \
	mv $@.tmp $@

# --- sysusers.d: the kcwatch user and group ----------------------------------------------------
# systemd-sysusers reads only *.conf, so systemd/kcwatch.sysusers is installed as kcwatch.conf.
# Override the directory with `make install sysusersdir=...` (the spec does).
sysusersdir = $(prefix)/lib/sysusers.d
nodist_sysusers_DATA = rpm/sysusers.d/kcwatch.conf
CLEANFILES += rpm/sysusers.d/kcwatch.conf
EXTRA_DIST += systemd/kcwatch.sysusers

rpm/sysusers.d/kcwatch.conf: $(srcdir)/systemd/kcwatch.sysusers
	$(AM_V_GEN)$(MKDIR_P) rpm/sysusers.d && cp $(srcdir)/systemd/kcwatch.sysusers $@

# --- make rpm / make srpm: packages from the dist tarball, in ./rpmbuild -----------------------
# RPMBUILD_FLAGS=--nodeps builds where the BuildRequires are not rpm packages (Debian).
RPMBUILD = rpmbuild
RPMBUILD_FLAGS =
RPM_TOPDIR = $(abs_builddir)/rpmbuild

# No .PHONY here (fuzz/local.mk sets it under a condition, and automake refuses both): the
# phony prerequisite dist-gzip already makes these run every time, despite the rpm/ directory.
rpm: dist-gzip
	rm -rf $(RPM_TOPDIR) && $(MKDIR_P) $(RPM_TOPDIR)
	$(RPMBUILD) -tb --define "_topdir $(RPM_TOPDIR)" $(RPMBUILD_FLAGS) $(distdir).tar.gz
	@find $(RPM_TOPDIR)/RPMS -name '*.rpm'

srpm: dist-gzip
	rm -rf $(RPM_TOPDIR) && $(MKDIR_P) $(RPM_TOPDIR)
	$(RPMBUILD) -ts --define "_topdir $(RPM_TOPDIR)" $(RPMBUILD_FLAGS) $(distdir).tar.gz
	@find $(RPM_TOPDIR)/SRPMS -name '*.rpm'
