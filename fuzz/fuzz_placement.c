/* Placement files (rxmodel --placement): the input is written next to a copy of configs/, so a
 * relative 'base = "gilan.cfg";' loads the shipped scenario, then placement_load and
 * placement_check at 40 Gbit/s. */
#include <stdint.h>

#include "fuzz_common.h"
#include "placement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct placement p;
	char err[512] = "";
	const char *path = fuzz_input_file("placement.cfg", data, size);
	int ret;

	if (!path)
		return 0;
	ret = placement_load(&p, path, NULL, err, sizeof(err));
	fuzz_check_err(ret, err);
	if (ret)
		return 0;
	err[0] = 0;
	fuzz_check_err(placement_check(&p, 40e9, err, sizeof(err)), err);
	return 0;
}
