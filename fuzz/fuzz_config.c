/* Scenario and calibration loaders: the input is written to a file and read as a scenario
 * (config_load, then config_validate and each variant it defines, as rxmodel --config does) and
 * as a calibration (calibration_load). */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model_config c, v;
	static struct calibration cal;
	char err[512] = "";
	const char *path = fuzz_input_file("input.cfg", data, size);
	int ret;

	if (!path)
		return 0;
	config_defaults(&c);
	ret = config_load(&c, path, NULL, err, sizeof(err));
	fuzz_check_err(ret, err);
	if (!ret) {
		err[0] = 0;
		ret = config_validate(&c, err, sizeof(err));
		fuzz_check_err(ret, err);
		for (int i = 0; !ret && i < c.nvariants; i++) {
			v = c;
			err[0] = 0;
			if (!config_apply_variant(&v, c.variant[i].name, err, sizeof(err))) {
				err[0] = 0;
				fuzz_check_err(config_validate(&v, err, sizeof(err)), err);
			}
		}
		for (int i = 0; !ret && builtin_variant_names[i]; i++) {
			v = c;
			err[0] = 0;
			if (!config_apply_variant(&v, builtin_variant_names[i], err, sizeof(err))) {
				err[0] = 0;
				fuzz_check_err(config_validate(&v, err, sizeof(err)), err);
			}
		}
	}
	err[0] = 0;
	fuzz_check_err(calibration_load(&cal, path, err, sizeof(err)), err);
	return 0;
}
