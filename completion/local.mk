# SPDX-License-Identifier: MIT
# completion/local.mk: build rules for completion/ (included by Makefile.am): bash completion.
# bash-completion loads completions/kcwatchctl when kcwatchctl is first completed.
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = completion/kcwatchctl
