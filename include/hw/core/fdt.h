/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for building device trees with libfdt: a checking macro that records the failing
 * libfdt call and fdt_strerror() into a GError instead of dying, and GIC cell constants.
 * Source: Documentation/devicetree/bindings/interrupt-controller/arm,gic-v3.yaml, arm,gic.yaml.
 */
#ifndef ARMPASS_HW_CORE_FDT_H
#define ARMPASS_HW_CORE_FDT_H

#include <glib.h>
#include <libfdt.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define ARMPASS_FDT_ERROR armpass_fdt_error_quark()
GQuark armpass_fdt_error_quark(void);

/* First cell of a GIC "interrupts" specifier. */
#define GIC_FDT_IRQ_TYPE_SPI 0
#define GIC_FDT_IRQ_TYPE_PPI 1
/* Third cell: trigger type (include/dt-bindings/interrupt-controller/irq.h). */
#define FDT_IRQ_TYPE_EDGE_RISING 1
#define FDT_IRQ_TYPE_LEVEL_HIGH 4

/*
 * Evaluates a libfdt call; on a negative result sets *errp to "EXPR: fdt_strerror" and
 * returns false from the enclosing function (which must have a GError **errp and return bool).
 * FDT_CHECK_OFFSET also stores a non-negative result (a node offset) in out.
 */
#define FDT_CHECK_OFFSET(out, expr)                                                     \
    do {                                                                                \
        int fdt_check_ret_ = (expr);                                                    \
        if (fdt_check_ret_ < 0) {                                                       \
            g_set_error(errp, ARMPASS_FDT_ERROR, -fdt_check_ret_, "%s: %s", #expr,     \
                        fdt_strerror(fdt_check_ret_));                                  \
            return false;                                                               \
        }                                                                               \
        (out) = fdt_check_ret_;                                                         \
    } while (0)

#define FDT_CHECK(expr)                                                                 \
    do {                                                                                \
        int fdt_check_unused_ G_GNUC_UNUSED;                                            \
        FDT_CHECK_OFFSET(fdt_check_unused_, expr);                                      \
    } while (0)

/* Cell i (from 0) of a property value, big-endian in the blob, in host order. */
static inline uint32_t fdt_cell_at(const void *val, unsigned i)
{
    fdt32_t c;
    memcpy(&c, (const uint8_t *)val + 4 * (size_t)i, sizeof(c));
    return fdt32_to_cpu(c);
}

/* Sets a property of 64-bit (address, size) pairs, each written as two big-endian cells. */
bool fdt_setprop_reg64(void *fdt, int node, const uint64_t *pairs, unsigned nr_pairs,
                       GError **errp);
/* Sets "compatible" (or any string list) from a NULL-terminated array. */
bool fdt_setprop_strings(void *fdt, int node, const char *name, const char *const *strs,
                         GError **errp);
/* Sets "interrupts" = <GIC_FDT_IRQ_TYPE_SPI spi flags> for one SPI (number from 0). */
bool fdt_setprop_gic_spi(void *fdt, int node, unsigned spi, uint32_t flags, GError **errp);

#endif
