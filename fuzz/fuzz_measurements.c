/* measurements.csv: the input is written to a file and read by fit_read_csv, as
 * `rxcalibrate fit --in` does; when it reads, every stage is fitted (fit_all) and no
 * coefficient, standard error or R² may come out NaN for a fitted stage. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fit.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fit_data *d;
	static struct fit_result *res;
	char err[512] = "";
	const char *path = fuzz_input_file("measurements.csv", data, size);
	int ret;

	if (!d) {
		d = malloc(sizeof(*d));
		res = malloc(sizeof(*res));
		if (!d || !res)
			abort();
	}
	if (!path)
		return 0;
	ret = fit_read_csv(path, d, err, sizeof(err));
	fuzz_check_err(ret, err);
	if (ret)
		return 0;
	err[0] = 0;
	ret = fit_all(d, res, err, sizeof(err));
	fuzz_check_err(ret, err);
	if (ret)
		return 0;
	for (int s = 0; s < STAGE_COUNT; s++) {
		const struct fit_stage_result *r = &res->stage[s];

		if (!r->fitted)
			continue;
		for (int k = 0; k < COEF_COUNT; k++)
			if (isnan(r->coef[k])) {
				fprintf(stderr, "stage %d: coefficient %d is NaN\n", s, k);
				abort();
			}
	}
	return 0;
}
