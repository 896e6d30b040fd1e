/* SPDX-License-Identifier: MIT */
/* curldl.h: libcurl opened at run time, only by a daemon that has backends to check. */
#ifndef KCW_CURLDL_H
#define KCW_CURLDL_H

#include <stddef.h>

#include <curl/curl.h>

/*
 * The libcurl calls health.c and etcd.c make, resolved with dlopen()/dlsym(). A daemon without
 * [backend] sections never maps libcurl and the two dozen libraries it pulls in (about
 * 2 MiB of a node's memory); see curldl.c.
 */
struct curldl {
	void *handle;
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *e);
	CURLcode (*easy_setopt)(CURL *e, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
	CURLMcode (*multi_assign)(CURLM *m, curl_socket_t s, void *p);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int mask, int *running);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	const char *(*multi_strerror)(CURLMcode code);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd extra_fds[], unsigned int extra_nfds,
				int timeout_ms, int *numfds);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/*
 * Opens libcurl (CURLDL_SONAME) and resolves every call. Returns 0, or -ELIBACC with a
 * sentence in err (which library, what dlopen/dlsym said). The library stays mapped for
 * the life of the process once opened.
 */
int curldl_open(struct curldl *c, char *err, size_t errlen);

/* Drops the reference taken by curldl_open; *c is zeroed. Safe on a zeroed struct. */
void curldl_close(struct curldl *c);

#endif
