# rpm/local.mk: build rules for rpm/ (included by Makefile.am)
