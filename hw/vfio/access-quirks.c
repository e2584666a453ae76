// SPDX-License-Identifier: GPL-2.0-only
/*
 * Register-access quirks of passed-through platform devices: for a device that answers an
 * access it does not support (a size or an offset its bus slave rejects) with an external
 * abort, the list of the accesses it does support. vfio-platform relays a trapped access with
 * a plain ioread/iowrite (drivers/vfio/platform/vfio_platform_common.c), so such an abort
 * happens in the host kernel, inside pread(2) on the device fd: an Oops that kills armpass's
 * vCPU thread. A guest must not be able to do that; armpass refuses (reads as all ones,
 * writes ignored, counted and warned about) any trapped access outside these lists.
 * Mapped areas cannot be filtered: a device with such a quirk keeps its regions trapped.
 */
#include "hw/vfio/vfio-common.h"

#include <libfdt.h>
#include <string.h>

#define SZ(n) (1u << (n)) /* bit for an access of 2^n bytes */

/*
 * QEMU's fw_cfg, MMIO flavour (docs/specs/fw_cfg.rst of QEMU; hw/nvram/fw_cfg.c decides
 * which accesses are valid): data register at 0, any size but only at its first byte; the
 * selector at 8, 16-bit writes only; the DMA address at 16, 32 or 64-bit. Anything else is a
 * bus error on the emulated board, a synchronous external abort on the host. vfio-platform
 * relays an 8-byte access as two 4-byte ones (vfio_platform_read_mmio), so an 8-byte read of
 * the data register would reach offset 4: refused too.
 */
static const VfioAccessRule fw_cfg_mmio_rules[] = {
    { .offset = 0, .len = 8, .sizes = SZ(0) | SZ(1) | SZ(2), .at_start_only = true },
    { .offset = 8, .len = 2, .sizes = SZ(1), .write_only = true },
    { .offset = 16, .len = 8, .sizes = SZ(2) | SZ(3) },
};

static const struct {
    const char *compatible;
    unsigned region;
    const VfioAccessRule *rules;
    unsigned nr_rules;
} access_quirks[] = {
    { "qemu,fw-cfg-mmio", 0, fw_cfg_mmio_rules, G_N_ELEMENTS(fw_cfg_mmio_rules) },
};

const VfioAccessRule *vfio_access_quirk(const void *host_node, unsigned region,
                                        unsigned *nr_rules)
{
    *nr_rules = 0;
    if (!host_node) {
        return NULL;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(access_quirks); i++) {
        if (access_quirks[i].region == region &&
            fdt_node_check_compatible(host_node, 0, access_quirks[i].compatible) == 0) {
            *nr_rules = access_quirks[i].nr_rules;
            return access_quirks[i].rules;
        }
    }
    return NULL;
}

bool vfio_access_allowed(const VfioAccessRule *rules, unsigned nr_rules, uint64_t addr,
                         unsigned size, bool is_write)
{
    if (!rules) {
        return true;
    }
    for (unsigned i = 0; i < nr_rules; i++) {
        const VfioAccessRule *r = &rules[i];

        if (addr < r->offset || addr - r->offset >= r->len || size > r->len - (addr - r->offset)) {
            continue;
        }
        if (!(r->sizes & size) || (addr - r->offset) % size != 0) {
            continue;
        }
        if ((r->at_start_only && addr != r->offset) || (r->write_only && !is_write)) {
            continue;
        }
        return true;
    }
    return false;
}
