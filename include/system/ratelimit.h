/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rate-limited warnings: what a guest can trigger at will (accesses armpass refuses) must not
 * flood the log nor cost the host more than a few lines per window. Thread-safe.
 */
#ifndef ARMPASS_SYSTEM_RATELIMIT_H
#define ARMPASS_SYSTEM_RATELIMIT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct RateLimit {
    GMutex lock;
    int64_t interval_us;  /* window length, microseconds of the monotonic clock */
    unsigned burst;       /* messages let through per window */
    int64_t window_start; /* microseconds; 0: no window yet */
    unsigned passed;      /* messages let through in this window */
    uint64_t suppressed;  /* messages held back since the last one let through */
} RateLimit;

/* A limiter letting burst messages through per interval_ms milliseconds. */
#define RATELIMIT_INIT(interval_ms, burst_)                                              \
    { .interval_us = (int64_t)(interval_ms) * 1000, .burst = (burst_) }

/* The same for a limiter inside an object (its lock initialised); ratelimit_clear undoes it. */
void ratelimit_init(RateLimit *rl, unsigned interval_ms, unsigned burst);
void ratelimit_clear(RateLimit *rl);

/*
 * Whether a message may go out now (monotonic time now_us, in microseconds; pass
 * g_get_monotonic_time()). When it may and messages were held back before it, *suppressed
 * gets their number (else 0), for the caller to mention. Never fails.
 */
bool ratelimit_check(RateLimit *rl, int64_t now_us, uint64_t *suppressed);

/*
 * g_warning(fmt, ...) through rl: at most rl->burst warnings per window; the first one after
 * a held-back run ends with "(N similar messages suppressed)".
 */
void ratelimit_warn(RateLimit *rl, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
