/* SPDX-License-Identifier: MIT */
/* curldl.c: opens libcurl at run time, so that a node without backends never maps it. */
#include "curldl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURLDL_SONAME "libcurl.so.4" /* the ABI kcwatch is compiled against (since 7.16) */

/*
 * Debian's libcurl links librtmp, which links GnuTLS; GnuTLS initialises itself in a
 * library constructor (about 300 KiB of heap and touched pages) although kcwatch never
 * uses RTMP and libcurl's TLS is OpenSSL's. GnuTLS skips that implicit set-up when this
 * variable is 1 at load time; a libcurl built on GnuTLS still initialises it explicitly
 * in curl_global_init(). The variable is set for the dlopen() only, so hooks do not
 * inherit it.
 */
#define GNUTLS_SKIP_ENV "GNUTLS_NO_IMPLICIT_INIT"

static void *open_quietly(void)
{
	bool set = getenv(GNUTLS_SKIP_ENV) == NULL;
	void *h;

	if (set)
		setenv(GNUTLS_SKIP_ENV, "1", 0);
	/* NODELETE: OpenSSL and GnuTLS state must never be unmapped under the process */
	h = dlopen(CURLDL_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (set)
		unsetenv(GNUTLS_SKIP_ENV);
	return h;
}

/*
 * Resolves one call into field F; the static assertion keeps each pointer's type equal
 * to the prototype in <curl/curl.h>, so a mistyped field does not compile.
 */
#define RESOLVE(F, SYM)                                                                            \
	do {                                                                                       \
		_Static_assert(__builtin_types_compatible_p(__typeof__(&SYM), __typeof__(c->F)),   \
			       #SYM " has another type in <curl/curl.h>");                         \
		*(void **)&c->F = dlsym(c->handle, #SYM);                                          \
		if (!c->F)                                                                         \
			missing = #SYM;                                                            \
	} while (0)

static const char *resolve_all(struct curldl *c)
{
	const char *missing = NULL;

	RESOLVE(global_init, curl_global_init);
	RESOLVE(global_cleanup, curl_global_cleanup);
	RESOLVE(easy_init, curl_easy_init);
	RESOLVE(easy_cleanup, curl_easy_cleanup);
	RESOLVE(easy_setopt, curl_easy_setopt);
	RESOLVE(easy_getinfo, curl_easy_getinfo);
	RESOLVE(easy_strerror, curl_easy_strerror);
	RESOLVE(multi_init, curl_multi_init);
	RESOLVE(multi_cleanup, curl_multi_cleanup);
	RESOLVE(multi_setopt, curl_multi_setopt);
	RESOLVE(multi_add_handle, curl_multi_add_handle);
	RESOLVE(multi_remove_handle, curl_multi_remove_handle);
	RESOLVE(multi_assign, curl_multi_assign);
	RESOLVE(multi_socket_action, curl_multi_socket_action);
	RESOLVE(multi_info_read, curl_multi_info_read);
	RESOLVE(multi_strerror, curl_multi_strerror);
	RESOLVE(multi_perform, curl_multi_perform);
	RESOLVE(multi_poll, curl_multi_poll);
	RESOLVE(slist_append, curl_slist_append);
	RESOLVE(slist_free_all, curl_slist_free_all);
	return missing;
}

int curldl_open(struct curldl *c, char *err, size_t errlen)
{
	const char *missing;

	memset(c, 0, sizeof(*c));
	c->handle = open_quietly();
	if (!c->handle) {
		snprintf(err, errlen,
			 "cannot load %s, needed for [backend] checks and coordinator = etcd: %s",
			 CURLDL_SONAME, dlerror());
		return -ELIBACC;
	}
	missing = resolve_all(c);
	if (missing) {
		snprintf(err, errlen, "%s has no %s (libcurl too old?)", CURLDL_SONAME, missing);
		curldl_close(c);
		return -ELIBACC;
	}
	return 0;
}

void curldl_close(struct curldl *c)
{
	if (c->handle)
		dlclose(c->handle);
	memset(c, 0, sizeof(*c));
}
