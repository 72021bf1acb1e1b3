/* Fuzz target: procurd.conf, read by config_load() from a file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/procurd-fuzz-conf.XXXXXX", err[512];
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	struct config *c = config_load(path, err, sizeof err);
	if (c) {
		FILE *devnull = fopen("/dev/null", "w");
		if (devnull) {
			config_print(c, devnull);
			fclose(devnull);
		}
	}
	config_free(c);
	unlink(path);
	return 0;
}
