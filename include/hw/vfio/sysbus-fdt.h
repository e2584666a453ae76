/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest device-tree node of a passed-through platform/AMBA device, planned from its host
 * node (include/hw/vfio/host-node.h): the guest's reg and SPIs, guest fixed clocks in place
 * of the host's clocks, and the properties whose phandles cannot be honoured in the guest
 * dropped (and reported).
 * Sources (Linux 6.1): Documentation/devicetree/bindings/arm/primecell.yaml,
 * clock/fixed-clock.yaml, clock/clock-bindings.txt, interrupt-controller/arm,gic.yaml, and the
 * Devicetree Specification v0.4 (2.2.1 node names, 2.3 standard properties).
 */
#ifndef ARMPASS_HW_VFIO_SYSBUS_FDT_H
#define ARMPASS_HW_VFIO_SYSBUS_FDT_H

#include "hw/core/device.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* One MMIO region of the device as the guest sees it. */
typedef struct SysbusFdtReg {
    uint64_t base; /* guest-physical address, bytes */
    uint64_t size; /* bytes */
} SysbusFdtReg;

/* One interrupt of the device as the guest sees it. */
typedef struct SysbusFdtIrq {
    unsigned spi; /* SPI number (GIC INTID - 32) */
    bool edge;    /* true: edge rising (flags 1); false: level high (flags 4) */
} SysbusFdtIrq;

typedef struct SysbusFdtSpec {
    /* The host node (from host_node_load_*), or NULL when the user gave only compatible=. */
    const void *host_fdt;
    const char *name;                /* the device, for messages ("9010000.pl031") */
    const SysbusFdtReg *regs;        /* nr_regs entries, in the host's reg order */
    unsigned nr_regs;
    const SysbusFdtIrq *irqs;        /* nr_irqs entries, in the host's interrupts order */
    unsigned nr_irqs;
    const char *const *compatible;   /* NULL-terminated; replaces the host's; NULL: keep it */
    bool amba;                       /* an AMBA primecell (arm/primecell.yaml) */
    uint32_t clock_rate;             /* Hz for every guest clock of the device; 0: host's */
    const char *dt_base_dir;         /* host device-tree folder for clock lookups; NULL: none */
    uint32_t periphid;               /* arm,primecell-periphid, when has_periphid */
    bool has_periphid;
    bool user_node;                  /* host_fdt came from dt-node=FILE: keep it as it is */
    GPtrArray *dropped;              /* out (may be NULL): g_strdup'ed names of what was
                                      * dropped, "resets", "node mdio", ... (g_free them) */
} SysbusFdtSpec;

/*
 * Adds the guest's node for a passed-through device at the root of fdt (a read-write tree
 * whose root has #address-cells and #size-cells of 1 or 2; 2/2 on virt).
 * Node name: the host node's name with the unit address replaced by regs[0].base in hex
 * ("pl031@c000000"), or, without a host node name, compatible[0]'s part after ','.
 * Host node (generic): every property is copied, then
 *   - reg = spec->regs; interrupts = <0 spi flags> per spec->irqs; interrupt-parent =
 *     ms->gic_phandle; status = "okay" if the host had a status;
 *   - dropped (and named in spec->dropped): interrupts-extended, phandle, linux,phandle,
 *     interrupt-names / reg-names whose count differs from nr_irqs / nr_regs, and the
 *     properties that hold host phandles (resets, pinctrl-*, power-domains, dmas, iommus,
 *     phys, *-gpios, assigned-clock*, ... see sysbus_fdt_dropped_props in hw/vfio/sysbus-fdt.c);
 *     child nodes are dropped too ("node NAME");
 *   - clocks: every distinct host clock specifier becomes a guest "fixed-clock" node
 *     ("<node>-<base>-clkN", #clock-cells 0, a new phandle from machine_new_phandle())
 *     whose clock-frequency is spec->clock_rate, or else the host rate (host_dt_clock_rate()
 *     under dt_base_dir). The provider's #clock-cells is read the same way (0 when its node
 *     cannot be found). A provider with #clock-cells > 0 has no rate per output in the tree,
 *     so it needs clock_rate. clock-names is kept.
 * AMBA: "arm,primecell" is appended to compatible if missing, and the node gets an
 *   "apb_pclk" clock if it has none: the board's ms->apb_pclk_phandle (24 MHz), or a guest
 *   fixed clock of clock_rate Hz when clock_rate is set. arm,primecell-periphid is set when
 *   has_periphid (also for user nodes).
 * user_node: the node (children included) is used as it is; only reg, interrupts and
 *   interrupt-parent are set (interrupts-extended, which would win over them, is dropped),
 *   plus an explicit compatible override, periphid and the AMBA minimum above. Its phandles
 *   must not be in use in fdt; ms->next_phandle moves past them.
 * Without host_fdt: compatible (required), reg, interrupts, interrupt-parent (+ AMBA clock).
 * Errors (one line, prefixed with spec->name): no compatible; host reg, interrupts or clocks
 * not whole 32-bit cells; a malformed string list; a truncated clock specifier or a
 * #clock-cells above 8; a clock rate not found and no clock_rate (suggests clock-rate=);
 * an AMBA clocks/clock-names pair without room for apb_pclk; a user phandle already used,
 * given to two nodes, or so high (0xfffffffe) that none is left for the nodes added after it;
 * a node of that name already exists; a libfdt call failed (NOSPACE: fdt is full).
 * Everything that can be checked is checked before fdt is touched; a libfdt failure can
 * leave part of the node behind (the caller discards the tree). spec->dropped is only
 * appended to on success.
 */
bool sysbus_fdt_add_node(void *fdt, MachineState *ms, const SysbusFdtSpec *spec,
                         GError **errp);

#endif
