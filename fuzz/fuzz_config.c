/* SPDX-License-Identifier: MIT */
/* fuzz_config.c: libFuzzer harness for config_load (INI reader, every section, the key file). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/*
 * Each input is written to DIR/kcwatch.conf and loaded with config_load. DIR
 * (under $TMPDIR, made once per process) also holds DIR/cluster.key, so that
 * "key-file = cluster.key" in the seeds reaches the key check and the digest.
 * When the input contains a line "%%key%%", what follows it becomes the key
 * file instead of a valid key: the key file parser is fuzzed too.
 *
 * key-file may name any path and config_load opens it. Opening a device node
 * can have side effects (a watchdog, a tape), so inputs that mention "dev",
 * "proc" or "sys" are skipped.
 *
 * Build: ./configure --enable-fuzzing CC=clang && make fuzz/fuzz_config
 * Run:   fuzz/fuzz_config -max_total_time=30 CORPUS_DIR   (seeds: fuzz/corpus/config)
 */

#define KEY_MARKER "\n%%key%%\n"
#define VALID_KEY  "a2N3YXRjaC1mdXp6LWtleS0wMTIzNDU2Nzg5YWJjZGVmCg==\n"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[PATH_MAX], conf_path[PATH_MAX], key_path[PATH_MAX];

static void cleanup(void)
{
	unlink(conf_path);
	unlink(key_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/kcw-fuzz-config.XXXXXX", tmp && *tmp ? tmp : "/tmp"); /* tmp-ok: the system default when TMPDIR is unset */
	if (!mkdtemp(dir)) {
		perror("fuzz_config: mkdtemp");
		abort();
	}
	snprintf(conf_path, sizeof(conf_path), "%s/kcwatch.conf", dir);
	snprintf(key_path, sizeof(key_path), "%s/cluster.key", dir);
	atexit(cleanup);
	return 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len) || fchmod(fd, 0600) < 0) {
		perror("fuzz_config: write");
		abort();
	}
	close(fd);
}

static bool mentions(const uint8_t *data, size_t size, const char *word)
{
	return memmem(data, size, word, strlen(word)) != NULL;
}

/* What a loaded config must hold: the loader's own promises. */
static void check_loaded(const struct kcw_config *cfg)
{
	size_t peers = 0;

	if (cfg->n_nodes > CFG_MAX_NODES || cfg->n_vips > CFG_MAX_VIPS ||
	    cfg->n_backends > CFG_MAX_BACKENDS || cfg->key_len < 32 || cfg->key_len > CFG_KEY_MAX)
		abort();
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		if (config_node_index(cfg, cfg->nodes[i].name) != (int)i)
			abort();
		if (cfg->nodes[i].kind == NODE_KIND_PEER &&
		    (cfg->nodes[i].priority < 1 || cfg->nodes[i].priority > 254))
			abort();
		peers += cfg->nodes[i].kind == NODE_KIND_PEER;
	}
	if (peers < 2 || cfg->interval_ms < 10 || !memchr(cfg->cluster_name, '\0', CFG_NAME_MAX))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kcw_config *cfg = NULL;
	char err[CFG_ERR_MAX];
	const uint8_t *key;
	size_t conf_len = size;
	int rc;

	if (mentions(data, size, "dev") || mentions(data, size, "proc") ||
	    mentions(data, size, "sys"))
		return -1; /* not added to the corpus */
	key = memmem(data, size, KEY_MARKER, strlen(KEY_MARKER));
	if (key) {
		conf_len = (size_t)(key - data);
		key += strlen(KEY_MARKER);
		write_file(key_path, key, size - (size_t)(key - data));
	} else {
		write_file(key_path, VALID_KEY, strlen(VALID_KEY));
	}
	write_file(conf_path, data, conf_len);
	rc = config_load(conf_path, &cfg, err, sizeof(err));
	if (rc == 0) {
		if (!cfg || err[0])
			abort();
		check_loaded(cfg);
		config_free(cfg);
	} else if (rc > 0 || cfg || !memchr(err, '\0', sizeof(err)) || !err[0]) {
		abort(); /* a failure is negative, leaves *out alone and always says why */
	}
	return 0;
}
