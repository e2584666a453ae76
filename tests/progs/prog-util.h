/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the test-bed programs in tests/progs share: a fatal error and a number from the
 * command line. Each program defines PROG_NAME before including this header.
 */
#ifndef ARMPASS_TESTS_PROG_UTIL_H
#define ARMPASS_TESTS_PROG_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PROG_NAME
#error "define PROG_NAME before including prog-util.h"
#endif

/* Prints "PROG_NAME: message" on stderr and exits with status 1. */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG_NAME ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* s as an unsigned number (decimal, 0x hex or 0 octal); dies naming what if it is not one. */
static __attribute__((unused)) unsigned long parse_num(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || *s == '\0' || *end != '\0') {
        die("%s: not a number: %s", what, s);
    }
    return v;
}

/* The interrupts since boot of the /proc/interrupts lines holding match (an interrupt's name:
 * "nvme", "ahci", "virtio1"), summed over every CPU column (source: /proc/interrupts,
 * Documentation/filesystems/proc.rst). 0 when the file cannot be read. */
static __attribute__((unused)) uint64_t prog_irq_count(const char *match)
{
    FILE *f = fopen("/proc/interrupts", "r");
    char line[1024];
    uint64_t sum = 0;

    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        if (!strstr(line, match)) {
            continue;
        }
        char *p = strchr(line, ':');
        if (!p) {
            continue;
        }
        p++;
        for (;;) {
            char *end;
            while (*p == ' ') {
                p++;
            }
            unsigned long long v = strtoull(p, &end, 10);
            if (end == p) {
                break;
            }
            sum += v;
            p = end;
        }
    }
    fclose(f);
    return sum;
}

/* One plain load or store of width 1, 2, 4 or 8 bytes at p (a device register): each a single
 * instruction KVM can decode when it traps. */
static inline void prog_access(volatile uint8_t *p, unsigned width, int write, uint64_t val)
{
    switch (width) {
    case 1:
        if (write) *(volatile uint8_t *)p = (uint8_t)val; else (void)*(volatile uint8_t *)p;
        break;
    case 2:
        if (write) *(volatile uint16_t *)p = (uint16_t)val; else (void)*(volatile uint16_t *)p;
        break;
    case 4:
        if (write) *(volatile uint32_t *)p = (uint32_t)val; else (void)*(volatile uint32_t *)p;
        break;
    default:
        if (write) *(volatile uint64_t *)p = val; else (void)*(volatile uint64_t *)p;
        break;
    }
}

#endif
