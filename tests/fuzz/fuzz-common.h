/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every libFuzzer target of tests/fuzz shares: glib set up so that a warning or a
 * critical (a g_return_if_fail that fired) is a crash the fuzzer reports, and FUZZ_CHECK, an
 * oracle that aborts with a message when an invariant of the code under test does not hold.
 * Each target defines LLVMFuzzerTestOneInput (and maybe LLVMFuzzerInitialize); libFuzzer
 * (clang -fsanitize=fuzzer) supplies main(). See docs/hardening.md.
 */
#ifndef ARMPASS_TESTS_FUZZ_COMMON_H
#define ARMPASS_TESTS_FUZZ_COMMON_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts (a crash libFuzzer records, with the input) when cond is false. */
#define FUZZ_CHECK(cond)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* Warnings and criticals abort; debug output stays off (it would cost more than the code
 * under test). Call once, from LLVMFuzzerInitialize. */
static inline void fuzz_glib_init(void)
{
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    g_setenv("G_MESSAGES_DEBUG", "", TRUE);
}

/*
 * With FUZZ_VERBOSE=1 in the environment, the targets print what the code under test said of
 * each input (its error messages): for looking at what a seed reaches, never while fuzzing.
 */
static inline void fuzz_note(const char *what, const GError *err)
{
    static int verbose = -1;

    if (verbose < 0) {
        verbose = g_strcmp0(g_getenv("FUZZ_VERBOSE"), "1") == 0;
    }
    if (verbose) {
        fprintf(stderr, "%s: %s\n", what, err ? err->message : "ok");
    }
}

/* A little-endian integer of n bytes (n <= 8) from p. */
static inline uint64_t fuzz_ld_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = n; i > 0; i--) {
        v = v << 8 | p[i - 1];
    }
    return v;
}

#endif
