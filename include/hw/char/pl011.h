/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARM PrimeCell UART (PL011) emulation: enough for earlycon and console=ttyAMA0.
 * Source: ARM DDI 0183G, PrimeCell UART (PL011) Technical Reference Manual.
 */
#ifndef ARMPASS_HW_CHAR_PL011_H
#define ARMPASS_HW_CHAR_PL011_H

#include "system/memory.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define PL011_MMIO_SIZE 0x1000

typedef struct DeviceClass DeviceClass;
/* -device pl011 (hw/char/pl011-device.c): a second UART. */
extern const DeviceClass pl011_device_class;

typedef struct Pl011 Pl011;

/* Sets the interrupt line (called with the device lock held; must not call back into it). */
typedef void (*Pl011IrqFn)(void *opaque, bool level);

/* out_fd: where transmitted bytes go (-1: dropped). */
Pl011 *pl011_new(const char *name, int out_fd, Pl011IrqFn irq, void *opaque);
void pl011_free(Pl011 *s);
/* The trapped MemoryRegion (PL011_MMIO_SIZE bytes) to place in the guest. */
MemoryRegion *pl011_mmio(Pl011 *s);
/* Feeds received bytes into the RX FIFO (32 entries; extra bytes are dropped and counted).
 * Returns how many were taken. Thread-safe. */
size_t pl011_receive(Pl011 *s, const uint8_t *buf, size_t len);
/* Free room in the RX FIFO. */
size_t pl011_can_receive(Pl011 *s);

/* Counters for -d stats, bytes since pl011_new. */
typedef struct Pl011Stats {
    uint64_t tx_bytes;   /* written to DR (and to out_fd unless it failed or is -1) */
    uint64_t tx_errors;  /* bytes lost to a failed write to out_fd */
    uint64_t rx_bytes;   /* taken into the RX FIFO */
    uint64_t rx_dropped; /* given to pl011_receive with the FIFO full */
} Pl011Stats;
void pl011_get_stats(Pl011 *s, Pl011Stats *out);

/* Adds a pl011 node under the root of fdt: compatible "arm,pl011", "arm,primecell", reg at
 * guest-physical addr (PL011_MMIO_SIZE bytes), SPI spi level-high, clocks "uartclk" and
 * "apb_pclk" both from clk_phandle. *path (optional) gets the node's path. Source:
 * Documentation/devicetree/bindings/serial/pl011.yaml. Errors: a libfdt call failed. */
bool pl011_fdt_add_node(void *fdt, uint64_t addr, unsigned spi, uint32_t clk_phandle,
                        char **path, GError **errp);

#endif
