/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * The entry point every fuzz target defines. libFuzzer calls it for each input it makes;
 * fuzz-replay.c calls it once for each file of the seed corpus and of crashes/, so that a
 * build without libFuzzer (gcc, the sanitizer build) still replays every crash ever found.
 * It returns 0; the target crashes, or a sanitizer reports, when the code under test is wrong.
 */
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Called once before the first input, by libFuzzer and by fuzz-replay.c (fuzz-common.c). */
int LLVMFuzzerInitialize (int *argc, char ***argv);
