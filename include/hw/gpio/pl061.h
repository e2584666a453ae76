/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARM PrimeCell GPIO (PL061) emulation: the 8 lines, their interrupts (level or edge, one
 * or both edges) on one SPI, and the "gpio-keys" power button the virt board wires to line 3
 * (QMP system_powerdown). Enough for Linux's gpio-pl061 and gpio-keys drivers.
 * Source: ARM DDI 0190B, PrimeCell GPIO (PL061) Technical Reference Manual, 3.3 (registers);
 * Documentation/devicetree/bindings/gpio/pl061-gpio.yaml and input/gpio-keys.yaml (Linux 6.1).
 */
#ifndef ARMPASS_HW_GPIO_PL061_H
#define ARMPASS_HW_GPIO_PL061_H

#include "system/memory.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define PL061_MMIO_SIZE 0x1000
#define PL061_NR_LINES 8
/* Linux's KEY_POWER (include/uapi/linux/input-event-codes.h). */
#define PL061_KEY_POWER 116

typedef struct Pl061 Pl061;

/* Sets the interrupt line (called with the device lock held; must not call back into it). */
typedef void (*Pl061IrqFn)(void *opaque, bool level);

Pl061 *pl061_new(const char *name, Pl061IrqFn irq, void *opaque);
void pl061_free(Pl061 *s);
/* The trapped MemoryRegion (PL061_MMIO_SIZE bytes) to place in the guest. */
MemoryRegion *pl061_mmio(Pl061 *s);
/* Drives input line (0..7) from outside (a key): latches edge interrupts per GPIOIS,
 * GPIOIBE and GPIOIEV, and updates the SPI. A line the guest set as an output keeps its
 * output value. Thread-safe. */
void pl061_set_input(Pl061 *s, unsigned line, bool level);

/* Adds the pl061 node under the root of fdt: compatible "arm,pl061", "arm,primecell", reg at
 * guest-physical addr (PL061_MMIO_SIZE bytes), SPI spi level-high, "gpio-controller",
 * #gpio-cells 2, clock apb_pclk from clk_phandle, and phandle. Errors: a libfdt call
 * failed. */
bool pl061_fdt_add_node(void *fdt, uint64_t addr, unsigned spi, uint32_t clk_phandle,
                        uint32_t phandle, GError **errp);
/* Adds /gpio-keys with one key "poweroff": linux,code code (KEY_POWER), gpios <gpio_phandle
 * line GPIO_ACTIVE_HIGH>, as QEMU's virt board does. Errors: a libfdt call failed. */
bool gpio_keys_fdt_add_node(void *fdt, uint32_t gpio_phandle, unsigned line, uint32_t code,
                            GError **errp);

#endif
