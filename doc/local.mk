# SPDX-License-Identifier: MIT
# doc/local.mk: build rules for doc/ (included by Makefile.am): the section 8 man pages.
dist_man8_MANS = doc/kcwatchd.8 doc/kcwatchctl.8
