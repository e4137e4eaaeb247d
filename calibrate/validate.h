/* `rxcalibrate validate`: the model's prediction against live measurements at rates the fit did
 * not use. Reads a measurements.csv (from `rxcalibrate run` at held-out rates), runs rxmodel's
 * simulator for each step at the rate the sender achieved, with the scenario of the testbed and a
 * calibration, and compares CPU time per stage and in total. */
#ifndef RXC_VALIDATE_H
#define RXC_VALIDATE_H

/* The whole command; returns the exit status (0 ok, 1 bad input or failure, 2 bad option). */
int validate_main(int argc, char **argv);

#endif
