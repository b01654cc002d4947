#ifndef MRC_FUZZ_DRIVER_H
#define MRC_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry point for programs that keep their own `main`
/// (compiler-rt's FuzzerInterface.h; in libFuzzer since LLVM 11).
/// SwiftPM names the `main` of an executable target after the module, so
/// each harness has a main.swift that hands its callback to this driver.
int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*callback)(const uint8_t *data, size_t size));

#endif
