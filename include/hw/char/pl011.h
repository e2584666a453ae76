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
void pl011_reset(Pl011 *s);

#endif
