/* fuzz.h: the libFuzzer entry points every target here defines. */
#ifndef MINIVMM_FUZZ_H
#define MINIVMM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv); /* optional */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
