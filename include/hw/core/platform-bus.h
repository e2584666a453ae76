/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The platform-bus window: a guest-physical window and a reserved range of SPIs from which
 * dynamically added sysbus devices (vfio-platform, vfio-amba, extra UARTs) take their MMIO
 * placement and their interrupts.
 */
#ifndef ARMPASS_HW_CORE_PLATFORM_BUS_H
#define ARMPASS_HW_CORE_PLATFORM_BUS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct PlatformBus {
    uint64_t base;      /* guest-physical, bytes */
    uint64_t size;      /* bytes */
    uint64_t next;      /* first free guest-physical address in the window */
    unsigned spi_base;  /* first SPI of the reserved range (SPI number: GIC INTID - 32) */
    unsigned spi_count;
    GArray *spis_used;  /* guint, SPIs handed out (allocated or reserved) */
} PlatformBus;

void platform_bus_init(PlatformBus *pb, uint64_t base, uint64_t size, unsigned spi_base,
                       unsigned spi_count);
void platform_bus_destroy(PlatformBus *pb);
/* Takes size bytes aligned to align (a power of two, at least 4 KiB) from the window.
 * Errors: the window is full. Returns the guest-physical address in *addr. */
bool platform_bus_alloc_mmio(PlatformBus *pb, uint64_t size, uint64_t align, uint64_t *addr,
                             GError **errp);
/* Takes the next free SPI of the reserved range. Errors: the range is used up. */
bool platform_bus_alloc_spi(PlatformBus *pb, unsigned *spi, GError **errp);
/* Claims a user-chosen SPI (irq-base=). Errors: already in use, or past max_spi. */
bool platform_bus_reserve_spi(PlatformBus *pb, unsigned spi, unsigned max_spi, GError **errp);

#endif
