// SPDX-License-Identifier: GPL-2.0-only
/* Rate-limited warnings: the burst passes, the rest is counted and reported with the next. */
#include "system/ratelimit.h"

static void test_burst_then_suppress(void)
{
    RateLimit rl = RATELIMIT_INIT(1000, 3);
    uint64_t s = 99;

    for (int i = 0; i < 3; i++) {
        g_assert_true(ratelimit_check(&rl, 1000000 + i, &s));
        g_assert_cmpuint(s, ==, 0);
    }
    for (int i = 0; i < 1000; i++) {
        g_assert_false(ratelimit_check(&rl, 1000100 + i, &s));
    }
    /* Next window: passes again and reports the 1000 held back. */
    g_assert_true(ratelimit_check(&rl, 2000000, &s));
    g_assert_cmpuint(s, ==, 1000);
    g_assert_true(ratelimit_check(&rl, 2000001, &s));
    g_assert_cmpuint(s, ==, 0);
}

static void test_clock_backwards(void)
{
    RateLimit rl = RATELIMIT_INIT(1000, 1);
    uint64_t s;

    g_assert_true(ratelimit_check(&rl, 5000000, &s));
    g_assert_false(ratelimit_check(&rl, 5000001, &s));
    /* A clock that went backwards opens a new window rather than blocking for ever. */
    g_assert_true(ratelimit_check(&rl, 10, &s));
    g_assert_cmpuint(s, ==, 1);
}

static void test_warn_is_limited(void)
{
    RateLimit rl = RATELIMIT_INIT(60000, 2);

    if (g_test_subprocess()) {
        g_log_set_always_fatal(G_LOG_FATAL_MASK); /* warnings are what is under test */
        for (int i = 0; i < 50; i++) {
            ratelimit_warn(&rl, "refused access %d", i);
        }
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*refused access 0*refused access 1*");
    g_test_trap_assert_stderr_unmatched("*refused access 2*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ratelimit/burst-then-suppress", test_burst_then_suppress);
    g_test_add_func("/ratelimit/clock-backwards", test_clock_backwards);
    g_test_add_func("/ratelimit/warn-is-limited", test_warn_is_limited);
    return g_test_run();
}
