# doc/local.mk: build rules for doc/ (included by Makefile.am)
