/* Fuzz target: a config file, read by procurd's config_load() and by
 * procur-notify's conf_load(). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "conf.h"
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
	char *errors = NULL;
	struct conf *wc = conf_load(path, &errors);
	conf_free(wc);
	free(errors);
	unlink(path);
	return 0;
}
