// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci: attach a host PCI device, build its guest config space (the device's own with the
 * VMM-owned parts emulated), its BARs (VFIO regions with mmap'd parts and the MSI-X window
 * emulated over them), plug it into the root bus, tear it all down.
 */
#define G_LOG_DOMAIN "armpass-vfio"
#include "hw/vfio/vfio-pci.h"
#include "hw/vfio/vfio-objects.h"

#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pcie-root-port.h"
#include "vfio-internal.h"
#include "system/notice.h"
#include "system/ratelimit.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static const Property vfio_pci_props[] = {
    { "host", PROP_STRING, offsetof(VfioPciDevice, host), 0,
      "host PCI address DDDD:BB:DD.F (e.g. 0000:00:01.0), bound to vfio-pci" },
    { "sysfsdev", PROP_STRING, offsetof(VfioPciDevice, sysfsdev), 0,
      "host device's sysfs folder, instead of host=" },
    { "iommufd", PROP_STRING, offsetof(VfioPciDevice, iommufd), 0, "the id of an -object iommufd: "
      "the device's cdev and an IOAS instead of its group (Linux 6.6+)" },
    { "fd", PROP_STRING, offsetof(VfioPciDevice, fd), 0, "with iommufd=: an open "
      "/dev/vfio/devices/vfioN of the device, passed in (host= or sysfsdev= still names it)" },
    { "container", PROP_STRING, offsetof(VfioPciDevice, container), 0, "legacy path: the id of an "
      "-object vfio-container,fd=N its group joins" },
    { "group-fd", PROP_STRING, offsetof(VfioPciDevice, group_fd), 0, "legacy path: an open /dev/vfio/N "
      "of the device's group, passed in" },
    { "addr", PROP_STRING, offsetof(VfioPciDevice, addr), 0,
      "guest slot and function SLOT[.FN] in hex (default: the first free slot)" },
    { "bus", PROP_STRING, offsetof(VfioPciDevice, bus), 0,
      "the id of the pcie-root-port whose slot the device goes into (default: the root "
      "bus, which has no hot-plug)" },
    { "x-no-mmap", PROP_BOOL, offsetof(VfioPciDevice, x_no_mmap), 0,
      "trap every BAR access instead of mapping the BARs (slow; for debugging)" },
    { "x-irqfd", PROP_BOOL, offsetof(VfioPciDevice, x_irqfd),
      offsetof(VfioPciDevice, x_irqfd_set), "on (default): KVM delivers the interrupts (and "
      "completes INTx); off: armpass's main loop does" },
    { "x-mmap-timeout-ms", PROP_UINT64, offsetof(VfioPciDevice, x_mmap_timeout_ms),
      offsetof(VfioPciDevice, x_mmap_timeout_ms_set), "with x-irqfd=off: how long after the "
      "last INTx the BARs' mmaps return (default 1100; while an INTx is pending every BAR "
      "access traps, and the first completes it)" },
    { "rombar", PROP_UINT64, offsetof(VfioPciDevice, rombar),
      offsetof(VfioPciDevice, rombar_set), "1 (default): the guest sees the device's option "
      "ROM (or romfile=) through the ROM BAR; 0: no ROM (QEMU's spelling)" },
    { "romfile", PROP_STRING, offsetof(VfioPciDevice, romfile), 0,
      "a file the guest sees as the option ROM instead of the device's (empty: no ROM)" },
    PROP_END,
};

/* Capabilities the guest keeps: the rest are unlinked from the list it sees (MSI and
 * MSI-X too when the guest has no ITS to send them to); extended capabilities are all
 * hidden. */
static bool cap_supported(uint8_t id, bool msi_ok)
{
    return id == PCI_CAP_ID_PM || id == PCI_CAP_ID_EXP || id == PCI_CAP_ID_VNDR ||
           (msi_ok && (id == PCI_CAP_ID_MSIX || id == PCI_CAP_ID_MSI));
}

static VfioPciDevice *to_vpci(PCIDevice *pdev)
{
    return (VfioPciDevice *)(void *)((char *)pdev - offsetof(VfioPciDevice, pdev));
}

char *vfio_pci_parse_host(const char *host, GError **errp)
{
    unsigned dom = 0, bus, slot, fn;
    int n = -1;

    if (host && strlen(host) == 12 &&
        sscanf(host, "%4x:%2x:%2x.%1u%n", &dom, &bus, &slot, &fn, &n) == 4 && n == 12) {
        /* DDDD:BB:DD.F */
    } else if (host && strlen(host) == 7 &&
               sscanf(host, "%2x:%2x.%1u%n", &bus, &slot, &fn, &n) == 3 && n == 7) {
        dom = 0;
    } else {
        n = -1;
    }
    for (const char *p = host; n > 0 && *p; p++) {
        if (!g_ascii_isxdigit(*p) && *p != ':' && *p != '.') {
            n = -1;
        }
    }
    if (n < 0 || slot > 0x1f || fn > 7) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "host=%s is not a PCI address: give "
                    "DDDD:BB:DD.F as lspci -D shows it (e.g. host=0000:00:01.0)",
                    host ? host : "");
        return NULL;
    }
    return g_strdup_printf("%04x:%02x:%02x.%u", dom, bus, slot, fn);
}

/* ---- Config space -------------------------------------------------------------------- */

static uint32_t mask_of(const VfioPciDevice *d, uint32_t addr, unsigned len)
{
    uint32_t m = 0;

    for (unsigned i = 0; i < len; i++) {
        m |= (uint32_t)d->emask[addr + i] << (8 * i);
    }
    return m;
}

static uint32_t len_mask(unsigned len)
{
    return len >= 4 ? UINT32_MAX : (UINT32_C(1) << (8 * len)) - 1;
}

static bool dev_config_rw(VfioPciDevice *d, uint32_t addr, uint32_t *val, unsigned len,
                          bool is_write)
{
    g_autoptr(GError) err = NULL;
    uint8_t b[4];
    bool ok;

    if (addr + len > d->config_region_size) {
        *val = is_write ? *val : len_mask(len);
        return false;
    }
    if (is_write) {
        for (unsigned i = 0; i < len; i++) {
            b[i] = (uint8_t)(*val >> (8 * i));
        }
        ok = vfio_device_pwrite(d->vdev, b, len, d->config_offset + addr, &err);
    } else {
        ok = vfio_device_pread(d->vdev, b, len, d->config_offset + addr, &err);
        *val = 0;
        for (unsigned i = 0; ok && i < len; i++) {
            *val |= (uint32_t)b[i] << (8 * i);
        }
        if (!ok) {
            *val = len_mask(len);
        }
    }
    if (!ok) {
        d->config_errors++;
        ratelimit_warn(&d->vdev->ctx->config_error_rl, "%s (config space)", err->message);
    }
    return ok;
}

static uint32_t vfio_pci_config_read(PCIDevice *pdev, uint32_t addr, unsigned len)
{
    VfioPciDevice *d = to_vpci(pdev);
    uint32_t emask = mask_of(d, addr, len), dev = 0;
    uint32_t emu = pci_default_read_config(pdev, addr, len);

    if ((emask & len_mask(len)) != len_mask(len)) {
        dev_config_rw(d, addr, &dev, len, false);
    }
    return (dev & ~emask) | (emu & emask);
}

static void vfio_pci_config_write(PCIDevice *pdev, uint32_t addr, uint32_t val, unsigned len)
{
    VfioPciDevice *d = to_vpci(pdev);
    uint32_t emask = mask_of(d, addr, len);
    bool to_device = (emask & len_mask(len)) != len_mask(len);
    bool cmd = addr <= PCI_COMMAND && PCI_COMMAND < addr + len;
    bool device_first = false;
    uint32_t first = val;

    if (cmd) {
        unsigned shift = 8 * (PCI_COMMAND - addr);
        uint16_t old = pci_get_word(pdev, PCI_COMMAND);
        uint16_t new = (uint16_t)(val >> shift);
        uint16_t decode = PCI_COMMAND_MEMORY | PCI_COMMAND_IO;

        /* The device must decode before its BARs reach the guest, and the guest must lose
         * them before the device stops decoding (vfio-pci zaps the mmaps then: an access
         * through a memslot would fail KVM_RUN). A write that turns one decode on and the
         * other off does it in two steps: the device first gets the bits turned on with
         * those turned off still on, and the final value after the guest's map changed. */
        device_first = (new & ~old) & decode;
        first = val | (uint32_t)(old & ~new & decode & (len == 1 ? 0xff : 0xffff)) << shift;
        to_device = true;
    }
    if (device_first) {
        dev_config_rw(d, addr, &first, len, true);
    }
    pci_default_write_config(pdev, addr, val, len);
    if (to_device && (!device_first || first != val)) {
        dev_config_rw(d, addr, &val, len, true);
    }
}

static const PCIDeviceOps vfio_pci_config_ops = {
    .config_read = vfio_pci_config_read,
    .config_write = vfio_pci_config_write,
};

static void emulate(VfioPciDevice *d, uint32_t addr, unsigned len)
{
    memset(&d->emask[addr], 0xff, len);
}

/*
 * Walks the device's capability list (raw: its config bytes) and links into the guest's
 * list only the supported ones, with their next pointers emulated. Sets *msix and *msi to
 * the offsets of those capabilities kept (0: none).
 */
static void config_build_caps(VfioPciDevice *d, const uint8_t *raw, bool msi_ok,
                              uint32_t *msix, uint32_t *msi)
{
    PCIDevice *pdev = &d->pdev;
    uint32_t prev = PCI_CAPABILITY_LIST;
    uint8_t pos = (raw[PCI_STATUS] & PCI_STATUS_CAP_LIST) ? raw[PCI_CAPABILITY_LIST] & ~3 : 0;
    g_autoptr(GString) dropped = g_string_new(NULL);

    *msix = *msi = 0;

    emulate(d, PCI_CAPABILITY_LIST, 1);
    pci_set_byte(pdev, PCI_CAPABILITY_LIST, 0);
    d->emask[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    for (unsigned n = 0; pos >= PCI_STD_HEADER_SIZEOF && n < 48; n++) {
        uint8_t id = raw[pos + PCI_CAP_LIST_ID];

        if (cap_supported(id, msi_ok)) {
            pci_set_byte(pdev, prev, pos);
            prev = pos + PCI_CAP_LIST_NEXT;
            emulate(d, prev, 1);
            pci_set_byte(pdev, prev, 0);
            if (id == PCI_CAP_ID_MSIX) {
                *msix = pos;
            } else if (id == PCI_CAP_ID_MSI) {
                *msi = pos;
            }
        } else {
            g_string_append_printf(dropped, "%s0x%02x@0x%02x", dropped->len ? ", " : "", id,
                                   pos);
        }
        pos = raw[pos + PCI_CAP_LIST_NEXT] & ~3;
    }
    if (pci_get_byte(pdev, PCI_CAPABILITY_LIST)) {
        pci_set_word(pdev, PCI_STATUS, PCI_STATUS_CAP_LIST);
    }
    if (dropped->len) {
        g_debug("vfio %s: capabilities unlinked from the guest's list: %s", d->name,
                dropped->str);
    }
    if (d->config_region_size > PCI_CONFIG_SPACE_SIZE) {
        /* Extended capabilities: none offered (AER, SR-IOV, ATS... are the host's). */
        emulate(d, PCI_CONFIG_SPACE_SIZE, 4);
    }
}

static bool config_init(VfioPciDevice *d, uint8_t *raw, GError **errp)
{
    VfioRegionInfo info;
    PCIDevice *pdev = &d->pdev;

    if (!vfio_device_get_region_info(d->vdev, VFIO_PCI_CONFIG_REGION_INDEX, &info, errp)) {
        return false;
    }
    d->config_offset = info.offset;
    d->config_region_size = MIN(info.size, (uint64_t)PCIE_CONFIG_SPACE_SIZE);
    vfio_region_info_clear(&info);
    if (d->config_region_size < PCI_CONFIG_SPACE_SIZE) {
        vfio_set_error(errp, EINVAL, d->name, "config region of %" PRIu64 " bytes: a PCI "
                       "device has at least 256", d->config_region_size);
        return false;
    }
    if (!vfio_device_pread(d->vdev, raw, d->config_region_size, d->config_offset, errp)) {
        return false;
    }
    pci_config_init(pdev, d->config_region_size > PCI_CONFIG_SPACE_SIZE
                              ? PCIE_CONFIG_SPACE_SIZE : PCI_CONFIG_SPACE_SIZE);
    pdev->ops = &vfio_pci_config_ops;
    pdev->name = d->name;
    if ((raw[PCI_HEADER_TYPE] & 0x7f) != PCI_HEADER_TYPE_NORMAL) {
        vfio_set_error(errp, ENOTSUP, d->name, "header type 0x%02x: only endpoints (type 0) "
                       "can be passed, not bridges", raw[PCI_HEADER_TYPE]);
        return false;
    }
    /* The command register's decode and bus-master bits are the VMM's (they decide what
     * the guest sees mapped); the device gets every write as well. */
    d->emask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    emulate(d, PCI_BASE_ADDRESS_0, 24);
    emulate(d, PCI_ROM_ADDRESS, 4); /* 0 (no ROM) unless vfio_pci_rom_init gives one */
    emulate(d, PCI_INTERRUPT_LINE, 2); /* the pin: the device's if VFIO can signal it */
    return true;
}

/* ---- BARs and the MSI-X window -------------------------------------------------------- */

typedef enum { MSIX_AT_TABLE, MSIX_AT_PBA, MSIX_AT_DEVICE } MsixWindowPart;

/* What byte off of window w is: the table or the PBA (*rel: offset in it), or the device's
 * own register (*rel: offset in the BAR). */
static MsixWindowPart msix_window_part(const VfioPciMsixWindow *w, uint64_t off, uint32_t *rel)
{
    const MsixState *m = w->owner->pdev.msix;
    uint64_t at = w->offset + off;

    if (w->bar == m->table_bar && at >= m->table_offset &&
        at - m->table_offset < msix_table_size(m)) {
        *rel = (uint32_t)(at - m->table_offset);
        return MSIX_AT_TABLE;
    }
    if (w->bar == m->pba_bar && at >= m->pba_offset && at - m->pba_offset < m->pba_size) {
        *rel = (uint32_t)(at - m->pba_offset);
        return MSIX_AT_PBA;
    }
    *rel = (uint32_t)at;
    return MSIX_AT_DEVICE;
}

static uint64_t msix_window_read(void *opaque, uint64_t off, unsigned size)
{
    VfioPciMsixWindow *w = opaque;
    VfioPciDevice *d = w->owner;
    VfioRegion *r = &d->bars[w->bar];
    uint32_t rel;

    switch (msix_window_part(w, off, &rel)) {
    case MSIX_AT_TABLE:
        return msix_table_read(&d->pdev, rel, size);
    case MSIX_AT_PBA:
        return msix_pba_read(&d->pdev, rel, size);
    default:
        return r->mr.ops->read(r->mr.opaque, rel, size);
    }
}

static void msix_window_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    VfioPciMsixWindow *w = opaque;
    VfioPciDevice *d = w->owner;
    VfioRegion *r = &d->bars[w->bar];
    uint32_t rel;

    switch (msix_window_part(w, off, &rel)) {
    case MSIX_AT_TABLE:
        msix_table_write(&d->pdev, rel, val, size);
        break;
    case MSIX_AT_PBA:
        break; /* the PBA is read-only */
    default:
        r->mr.ops->write(r->mr.opaque, rel, val, size);
        break;
    }
}

static const MemoryRegionOps msix_window_ops = {
    .read = msix_window_read,
    .write = msix_window_write,
};

/* Places the trapped window [start, end) (rounded out to host pages, clipped to the BAR)
 * over BAR bar, above its mmaps. */
static bool msix_window_add(VfioPciDevice *d, VfioPciMsixWindow *w, unsigned bar,
                            uint64_t start, uint64_t end, GError **errp)
{
    uint64_t page = vfio_context_page_size(d->vdev->ctx);
    uint64_t bar_size = d->bars[bar].info.size;
    g_autofree char *name = g_strdup_printf("%s.bar%u.msix", d->name, bar);

    start &= ~(page - 1);
    end = MIN((end + page - 1) & ~(page - 1), bar_size);
    w->owner = d;
    w->bar = bar;
    w->offset = start;
    memory_region_init_io(&w->mr, name, end - start, &msix_window_ops, w);
    if (!memory_region_add_subregion(&d->bars[bar].mr, start, &w->mr, 2, errp)) {
        memory_region_finalize(&w->mr);
        return false;
    }
    w->used = true;
    g_debug("vfio %s: BAR %u [0x%" PRIx64 ", 0x%" PRIx64 ") trapped for the MSI-X table/PBA",
            d->name, bar, start, end);
    return true;
}

static bool msix_init_from_device(VfioPciDevice *d, const uint8_t *raw, uint32_t cap,
                                  GError **errp)
{
    uint16_t flags = (uint16_t)(raw[cap + PCI_MSIX_FLAGS] | raw[cap + PCI_MSIX_FLAGS + 1] << 8);
    uint32_t table, pba;
    unsigned n = (flags & PCI_MSIX_FLAGS_QSIZE) + 1, tbar, pbar;
    uint64_t tstart, tend, pstart, pend;

    memcpy(&table, raw + cap + PCI_MSIX_TABLE, 4);
    memcpy(&pba, raw + cap + PCI_MSIX_PBA, 4);
    table = GUINT32_FROM_LE(table);
    pba = GUINT32_FROM_LE(pba);
    tbar = table & PCI_MSIX_TABLE_BIR;
    pbar = pba & PCI_MSIX_PBA_BIR;
    if (tbar >= PCI_NUM_BARS || pbar >= PCI_NUM_BARS || !d->bar_ready[tbar] ||
        !d->bar_ready[pbar] || (d->pdev.bars[tbar].type & PCI_BASE_ADDRESS_SPACE_IO) ||
        (d->pdev.bars[pbar].type & PCI_BASE_ADDRESS_SPACE_IO)) {
        vfio_set_error(errp, EINVAL, d->name, "MSI-X table in BAR %u, PBA in BAR %u: no such "
                       "memory BAR", tbar, pbar);
        return false;
    }
    msix_init(&d->pdev, cap, n, tbar, table & PCI_MSIX_TABLE_OFFSET, pbar,
              pba & PCI_MSIX_PBA_OFFSET, &vfio_pci_msix_vector_ops);
    emulate(d, cap, MSIX_CAP_SIZE);
    d->emask[cap + PCI_CAP_LIST_NEXT] = 0xff;
    tstart = d->pdev.msix->table_offset;
    tend = tstart + msix_table_size(d->pdev.msix);
    pstart = d->pdev.msix->pba_offset;
    pend = pstart + d->pdev.msix->pba_size;
    if (tend > d->bars[tbar].info.size || pend > d->bars[pbar].info.size) {
        vfio_set_error(errp, EINVAL, d->name, "MSI-X table or PBA runs past its BAR");
        return false;
    }
    g_debug("vfio %s: MSI-X: %u vectors, table BAR %u +0x%" PRIx64 ", PBA BAR %u +0x%" PRIx64,
            d->name, n, tbar, tstart, pbar, pstart);
    /* One window when both sit in the same pages of one BAR, else two. */
    if (tbar == pbar && pstart < tend + vfio_context_page_size(d->vdev->ctx) &&
        tstart < pend + vfio_context_page_size(d->vdev->ctx)) {
        return msix_window_add(d, &d->msix_win[0], tbar, MIN(tstart, pstart),
                               MAX(tend, pend), errp);
    }
    return msix_window_add(d, &d->msix_win[0], tbar, tstart, tend, errp) &&
           msix_window_add(d, &d->msix_win[1], pbar, pstart, pend, errp);
}

static bool bars_init(VfioPciDevice *d, const uint8_t *raw, GError **errp)
{
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        uint32_t reg;
        uint8_t type;
        VfioRegion *r = &d->bars[i];

        memcpy(&reg, raw + PCI_BASE_ADDRESS_0 + 4 * i, 4);
        reg = GUINT32_FROM_LE(reg);
        type = (reg & PCI_BASE_ADDRESS_SPACE_IO)
                   ? PCI_BASE_ADDRESS_SPACE_IO
                   : (uint8_t)(reg & (PCI_BASE_ADDRESS_MEM_TYPE_MASK |
                                      PCI_BASE_ADDRESS_MEM_PREFETCH));
        if (!vfio_region_setup(d->vdev, VFIO_PCI_BAR0_REGION_INDEX + i, !d->x_no_mmap, r,
                               errp)) {
            return false;
        }
        d->bar_ready[i] = true;
        if (r->info.size == 0) {
            continue;
        }
        if (r->info.size & (r->info.size - 1)) {
            vfio_set_error(errp, EINVAL, d->name, "BAR %u: size 0x%" PRIx64 " is not a power "
                           "of two", i, r->info.size);
            return false;
        }
        pci_register_bar(&d->pdev, i, type, r->info.size, &r->mr);
        g_debug("vfio %s: BAR %u: %s%s%s, 0x%" PRIx64 " bytes, %u mmap'd areas", d->name, i,
                type & PCI_BASE_ADDRESS_SPACE_IO ? "I/O" : "memory",
                type & PCI_BASE_ADDRESS_MEM_TYPE_64 ? ", 64-bit" : "",
                type & PCI_BASE_ADDRESS_MEM_PREFETCH ? ", prefetchable" : "", r->info.size,
                r->nr_mmaps);
        if (!(type & PCI_BASE_ADDRESS_SPACE_IO) && (type & PCI_BASE_ADDRESS_MEM_TYPE_64)) {
            i++; /* the upper half: no region of its own */
            if (i < PCI_NUM_BARS) {
                d->bar_ready[i] = false;
            }
        }
    }
    return true;
}

/* ---- The request interrupt ----------------------------------------------------------- */

#define REQ_REASON "the host asks for the device back (VFIO request: removed from the host " \
                   "or unbound from vfio-pci)"

static gboolean req_fired(gint fd, GIOCondition cond, gpointer opaque)
{
    VfioPciDevice *d = opaque;
    MachineState *ms = d->ms;
    uint64_t count;

    (void)cond;
    if (read(fd, &count, sizeof(count)) != sizeof(count)) {
        return G_SOURCE_CONTINUE;
    }
    d->req_signals++;
    d->vdev->host_took_back = true; /* its group may go with it: expected teardown errors */
    g_debug("vfio %s: request interrupt (%" PRIu64 " so far)", d->name, d->req_signals);
    if (!ms->device_request) {
        if (d->req_signals == 1) {
            armpass_notice("vfio %s: %s; it stays with the guest, and the host's removal "
                           "waits until armpass exits", d->name, REQ_REASON);
        }
        return G_SOURCE_CONTINUE;
    }
    /* May unrealize and free d, destroying this source: nothing of d is touched after. */
    ms->device_request(ms, &d->parent, REQ_REASON);
    return G_SOURCE_CONTINUE;
}

bool vfio_pci_req_wire(VfioPciDevice *d)
{
    const HostOps *ops = d->ms->ops;
    g_autoptr(GError) err = NULL;
    struct vfio_irq_info info;
    GSource *src;
    int fd;

    if (d->vdev->num_irqs <= VFIO_PCI_REQ_IRQ_INDEX ||
        !vfio_device_get_irq_info(d->vdev, VFIO_PCI_REQ_IRQ_INDEX, &info, NULL) ||
        info.count < 1 || !(info.flags & VFIO_IRQ_INFO_EVENTFD)) {
        armpass_notice("vfio %s: VFIO offers no request interrupt for it: if the host "
                       "removes the device, the removal waits until armpass exits", d->name);
        return false;
    }
    fd = ops->eventfd(ops->opaque, 0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        armpass_notice("vfio %s: eventfd for the request interrupt: %s: if the host "
                       "removes the device, the removal waits until armpass exits", d->name,
                       g_strerror(errno));
        return false;
    }
    if (!vfio_device_set_irq_eventfd(d->vdev, VFIO_PCI_REQ_IRQ_INDEX, 0,
                                     VFIO_IRQ_SET_ACTION_TRIGGER, fd, &err)) {
        armpass_notice("%s: if the host removes the device, the removal waits until "
                       "armpass exits", err->message);
        ops->close(ops->opaque, fd);
        return false;
    }
    src = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_callback(src, (GSourceFunc)(void (*)(void))req_fired, d, NULL);
    d->req_watch = g_source_attach(src, d->ms->main_context);
    g_source_unref(src);
    d->req_fd = fd;
    d->req_wired = true;
    return true;
}

void vfio_pci_req_unwire(VfioPciDevice *d)
{
    const HostOps *ops = d->ms->ops;
    g_autoptr(GError) err = NULL;
    GSource *src;

    if (!d->req_wired) {
        return;
    }
    if (!vfio_device_set_irq_eventfd(d->vdev, VFIO_PCI_REQ_IRQ_INDEX, 0,
                                     VFIO_IRQ_SET_ACTION_TRIGGER, -1, &err)) {
        g_debug("%s", err->message); /* closing the device drops it anyway */
    }
    src = g_main_context_find_source_by_id(d->ms->main_context, d->req_watch);
    if (src) {
        g_source_destroy(src);
    }
    d->req_watch = 0;
    ops->close(ops->opaque, d->req_fd);
    d->req_fd = -1;
    d->req_wired = false;
}

/* ---- Life cycle ---------------------------------------------------------------------- */

static bool vfio_pci_check_kind(VfioPciDevice *d, GError **errp)
{
    if (d->vdev->flags & VFIO_DEVICE_FLAGS_PCI) {
        return true;
    }
    vfio_set_error(errp, EINVAL, d->name, "not a PCI device (VFIO device flags 0x%x): use "
                   "-device vfio-platform or vfio-amba", d->vdev->flags);
    return false;
}

/* MSI from the device's capability (raw: its config bytes), emulated at the same offset. */
static void msi_init_from_device(VfioPciDevice *d, const uint8_t *raw, uint32_t cap)
{
    uint16_t flags = (uint16_t)(raw[cap + PCI_MSI_FLAGS] | raw[cap + PCI_MSI_FLAGS + 1] << 8);
    unsigned max = 1u << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
    bool is64 = flags & PCI_MSI_FLAGS_64BIT, maskbit = flags & PCI_MSI_FLAGS_MASKBIT;
    struct vfio_irq_info info;

    max = MIN(max, (unsigned)MSI_MAX_VECTORS);
    /* No more than VFIO's MSI index has: SET_IRQS refuses a count past it (EINVAL), which
     * would leave the guest with no interrupts at all. */
    if (d->vdev->num_irqs > VFIO_PCI_MSI_IRQ_INDEX &&
        vfio_device_get_irq_info(d->vdev, VFIO_PCI_MSI_IRQ_INDEX, &info, NULL)) {
        while (max > 1 && max > info.count) {
            max >>= 1;
        }
    }
    msi_init(&d->pdev, cap, max, is64, maskbit, &vfio_pci_msi_vector_ops);
    emulate(d, cap, msi_cap_size(is64, maskbit));
    g_debug("vfio %s: MSI: %u vectors%s%s", d->name, max, is64 ? ", 64-bit" : "",
            maskbit ? ", per-vector masking" : "");
}

/*
 * The interrupts the guest may use: INTx when the device has a pin VFIO can signal, MSI and
 * MSI-X when the guest has an ITS (otherwise their capabilities are hidden and the guest is
 * told). Errors: none at all (no pin, no ITS for MSI/MSI-X).
 */
static bool irqs_init(VfioPciDevice *d, const uint8_t *raw, GError **errp)
{
    MachineState *ms = d->ms;
    bool msi_ok = !ms->irq_ops || !ms->irq_ops->has_msi || ms->irq_ops->has_msi(ms->irq_opaque);
    struct vfio_irq_info info;
    uint32_t msix_cap, msi_cap;
    unsigned slots;

    d->has_intx = raw[PCI_INTERRUPT_PIN] >= 1 && raw[PCI_INTERRUPT_PIN] <= 4 &&
                  d->vdev->num_irqs > VFIO_PCI_INTX_IRQ_INDEX &&
                  vfio_device_get_irq_info(d->vdev, VFIO_PCI_INTX_IRQ_INDEX, &info, NULL) &&
                  info.count > 0 && (info.flags & VFIO_IRQ_INFO_EVENTFD);
    pci_set_byte(&d->pdev, PCI_INTERRUPT_PIN, d->has_intx ? raw[PCI_INTERRUPT_PIN] : 0);
    config_build_caps(d, raw, msi_ok, &msix_cap, &msi_cap);
    if (!msi_ok) {
        if (!d->has_intx) {
            vfio_set_error(errp, ENOTSUP, d->name, "the device has no INTx pin and the guest "
                           "no ITS for its MSI/MSI-X: use -M virt,gic-version=3");
            return false;
        }
        armpass_notice("vfio %s: the guest has no ITS (a GICv3 with an ITS is needed for "
                       "MSI and MSI-X): it gets INTx only (use -M virt,gic-version=3 for MSI)",
                       d->name);
    }
    if (!d->has_intx && !msix_cap && !msi_cap) {
        vfio_set_error(errp, ENOTSUP, d->name, "the device offers no interrupt armpass can "
                       "deliver (no INTx pin, no MSI or MSI-X capability)");
        return false;
    }
    if (msix_cap && !msix_init_from_device(d, raw, msix_cap, errp)) {
        return false;
    }
    if (msi_cap) {
        msi_init_from_device(d, raw, msi_cap);
    }
    slots = MAX(d->pdev.msix ? d->pdev.msix->nr_vectors : 0,
                d->pdev.msi ? d->pdev.msi->max_vectors : 0);
    d->nr_vectors = slots;
    d->vectors = g_new0(VfioPciVector, MAX(slots, 1));
    for (unsigned v = 0; v < slots; v++) {
        d->vectors[v] = (VfioPciVector){ .owner = d, .nr = v, .fd = -1, .gsi = -1,
                                         .last_gsi = -1, .kind = "msix" };
    }
    return true;
}

/* Device-specific regions (past the standard BARs, ROM, config and VGA): listed, not used. */
static void list_device_regions(VfioPciDevice *d)
{
    if (!d->specific_regions) {
        d->specific_regions = g_string_new(NULL);
    }
    for (unsigned i = VFIO_PCI_NUM_REGIONS; i < d->vdev->num_regions; i++) {
        VfioRegionInfo info;
        g_autoptr(GError) err = NULL;

        if (!vfio_device_get_region_info(d->vdev, i, &info, &err)) {
            g_debug("%s", err->message);
            continue;
        }
        d->nr_specific_regions++;
        g_debug("vfio %s: device-specific region %u: type 0x%x subtype 0x%x, 0x%" PRIx64
                " bytes, flags 0x%x: left alone", d->name, i, info.type, info.subtype,
                info.size, info.flags);
        g_string_append_printf(d->specific_regions, "%sregion %u type 0x%x/0x%x",
                               d->specific_regions->len ? ", " : "", i, info.type,
                               info.subtype);
        vfio_region_info_clear(&info);
    }
}

static void vfio_pci_unrealize(DeviceState *dev, MachineState *ms);

static bool vfio_pci_realize(DeviceState *dev, MachineState *ms, GError **errp)
{
    VfioPciDevice *d = (VfioPciDevice *)dev;
    g_autofree char *path = NULL;
    g_autofree uint8_t *raw = g_malloc0(PCIE_CONFIG_SPACE_SIZE);
    VfioAttachOptions opts;
    PCIBus *bus;
    int devfn;

    d->ms = ms;
    d->x_irqfd = d->x_irqfd_set ? d->x_irqfd : true;
    d->rombar = d->rombar_set ? d->rombar != 0 : 1;
    if (d->x_mmap_timeout_ms > 3600 * 1000) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "x-mmap-timeout-ms=%" PRIu64 ": give at most "
                    "3600000 (an hour)", d->x_mmap_timeout_ms);
        return false;
    }
    if (!d->host == !d->sysfsdev) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "give the host device with host=DDDD:BB:DD.F "
                    "(e.g. host=0000:00:01.0) or sysfsdev=PATH, one of them");
        return false;
    }
    if (!vfio_attach_options_parse(d->iommufd, d->fd, d->container, d->group_fd, false, &opts,
                                   errp)) {
        return false;
    }
    if (!pci_parse_addr(d->addr, &devfn, errp)) {
        return false;
    }
    if (!ms->pci_bus) {
        g_set_error(errp, VFIO_ERROR, ENODEV, "the machine has no PCI bus");
        return false;
    }
    bus = ms->pci_bus;
    if (d->bus) {
        PCIERootPort *rp = pcie_root_port_find(ms, d->bus);

        if (!rp || !rp->parent.realized) {
            g_set_error(errp, VFIO_ERROR, ENODEV, "bus=%s: no pcie-root-port has id=%s "
                        "(add -device pcie-root-port,id=%s)", d->bus, d->bus, d->bus);
            return false;
        }
        bus = rp->sec_bus;
    }
    if (d->host) {
        g_autofree char *canon = vfio_pci_parse_host(d->host, errp);

        if (!canon) {
            return false;
        }
        path = g_build_filename(ms->sysfs_root, "bus", "pci", "devices", canon, NULL);
        if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
            g_autofree char *dir = g_path_get_dirname(path);

            g_set_error(errp, VFIO_ERROR, ENOENT, "host=%s: no such PCI device in %s "
                        "(lspci -D lists the host's)", d->host, dir);
            return false;
        }
    } else {
        path = g_strdup(d->sysfsdev);
    }
    if (!vfio_machine_context(ms, errp)) {
        return false;
    }
    d->vdev = vfio_device_attach_opts(ms->vfio, path, &opts, errp);
    if (!d->vdev) {
        return false;
    }
    d->name = g_strdup(d->vdev->name);
    if (!vfio_pci_check_kind(d, errp)) {
        goto fail;
    }
    vfio_pci_reset(d);
    if (!config_init(d, raw, errp) || !bars_init(d, raw, errp) || !irqs_init(d, raw, errp) ||
        !vfio_pci_rom_init(d, errp)) {
        goto fail;
    }
    list_device_regions(d);
    vfio_pci_irq_hook_bars(d);
    /* While the guest runs (hot-plug), its vCPUs may reach the bus at any time: the device
     * appears on it, with its interrupts wired, in one step under the dispatch lock. */
    machine_dispatch_lock(ms);
    if (!pci_bus_add_device(bus, &d->pdev, devfn, errp)) {
        machine_dispatch_unlock(ms);
        goto fail;
    }
    vfio_pci_irq_set_mode(d, VFIO_PCI_IRQ_INTX);
    machine_dispatch_unlock(ms);
    vfio_pci_req_wire(d); /* without it the device works; the notice says what it costs */
    g_debug("vfio %s: vendor %04x device %04x class %06x at guest %s %02x.%x", d->name,
            raw[0] | raw[1] << 8, raw[2] | raw[3] << 8,
            raw[PCI_CLASS_REVISION + 1] | raw[PCI_CLASS_REVISION + 2] << 8 |
                raw[PCI_CLASS_REVISION + 3] << 16,
            pci_bus_name(bus), d->pdev.devfn >> 3, d->pdev.devfn & 7);
    return true;

fail:
    vfio_pci_unrealize(dev, ms);
    return false;
}

static void vfio_pci_unrealize(DeviceState *dev, MachineState *ms)
{
    VfioPciDevice *d = (VfioPciDevice *)dev;

    vfio_pci_req_unwire(d);
    /* A hot-unplug took the device off its bus first (machine_hotplug_del's path): then no
     * vCPU can reach it any more and this runs on the main thread alone. */
    if (d->pdev.bus) {
        machine_dispatch_lock(ms);
        pci_bus_remove_device(d->pdev.bus, &d->pdev); /* BARs out of the map, committed */
        machine_dispatch_unlock(ms);
        if (ms && ms->guest_running && ms->as) {
            address_space_synchronize(ms->as); /* no vCPU is still inside a BAR's old view */
        }
    }
    /* Off the bus and past every vCPU: the interrupts go on this thread alone (the INTx
     * fallback's teardown takes the dispatch lock itself). */
    vfio_pci_irq_set_mode(d, VFIO_PCI_IRQ_NONE);
    for (unsigned i = 0; i < G_N_ELEMENTS(d->msix_win); i++) {
        if (d->msix_win[i].used) {
            memory_region_del_subregion(&d->bars[d->msix_win[i].bar].mr, &d->msix_win[i].mr);
            memory_region_finalize(&d->msix_win[i].mr);
            d->msix_win[i].used = false;
        }
    }
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        if (d->bars[i].dev) {
            vfio_region_finalize(&d->bars[i]);
        }
        d->bar_ready[i] = false;
    }
    vfio_pci_rom_uninit(d);
    msix_uninit(&d->pdev);
    msi_uninit(&d->pdev);
    g_clear_pointer(&d->vectors, g_free);
    d->nr_vectors = 0;
    if (d->vdev) {
        vfio_device_detach(d->vdev);
        d->vdev = NULL;
    }
    if (d->specific_regions) {
        g_string_free(d->specific_regions, TRUE);
        d->specific_regions = NULL;
    }
    d->pdev.name = NULL;
    g_clear_pointer(&d->name, g_free);
}

static void vfio_pci_print_stats(DeviceState *dev, GString *out)
{
    VfioPciDevice *d = (VfioPciDevice *)dev;
    VfioDmaStats dma;

    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        VfioRegion *r = &d->bars[i];
        uint64_t mr = 0, mw = 0;

        if (!d->bar_ready[i] || !r->info.size) {
            continue;
        }
        for (unsigned w = 0; w < G_N_ELEMENTS(d->msix_win); w++) {
            if (d->msix_win[w].used && d->msix_win[w].bar == i) {
                mr += d->msix_win[w].mr.trapped_reads;
                mw += d->msix_win[w].mr.trapped_writes;
            }
        }
        g_string_append_printf(out, "  vfio %s bar %u: trapped reads %" PRIu64 ", writes %"
                               PRIu64 ", mmap'd areas %u, at 0x%" PRIx64 "; MSI-X window "
                               "reads %" PRIu64 ", writes %" PRIu64 "\n", d->name, i,
                               r->mr.trapped_reads, r->mr.trapped_writes, r->nr_mmaps,
                               d->pdev.bars[i].addr == PCI_BAR_UNMAPPED
                                   ? 0 : d->pdev.bars[i].addr, mr, mw);
    }
    if (d->rom_ready) {
        g_string_append_printf(out, "  vfio %s rom: 0x%" PRIx64 " bytes%s, reads %" PRIu64
                               "\n", d->name, d->rom_size, d->rom_data ? " (romfile)" : "",
                               d->rom.trapped_reads);
    }
    vfio_pci_irq_print_stats(d, out);
    if (d->nr_specific_regions) {
        g_string_append_printf(out, "  vfio %s: device-specific regions left alone: %s\n",
                               d->name, d->specific_regions->str);
    }
    if (vfio_device_dma_stats(d->vdev, &dma)) {
        /* The container's or IOAS's DMA maps of guest RAM, all made at start unless the map
         * changed (the benchmark reads this line, and compares the backends by it). */
        g_string_append_printf(out, "  vfio %s dma (%s): %" PRIu64 " mappings, %" PRIu64
                               " bytes in %" PRIu64 " us (%s)\n", d->name, dma.backend,
                               dma.maps, dma.bytes, dma.ns / 1000,
                               strcmp(dma.backend, "iommufd") ? "VFIO_IOMMU_MAP_DMA"
                                                              : "IOMMU_IOAS_MAP");
    }
    g_string_append_printf(out, "  vfio %s: BAR placements refused %" PRIu64 ", config "
                           "errors %" PRIu64 "\n", d->name, d->pdev.bar_refusals,
                           d->config_errors);
}

static bool vfio_pci_fdt_node(DeviceState *dev, MachineState *ms, void *fdt, GError **errp)
{
    (void)dev, (void)ms, (void)fdt, (void)errp;
    return true; /* the guest finds it by enumerating the host bridge */
}

static PCIDevice *vfio_pci_hotplug_pci(DeviceState *dev)
{
    return &((VfioPciDevice *)dev)->pdev;
}

static const char *vfio_pci_host_name(DeviceState *dev)
{
    return ((VfioPciDevice *)dev)->name;
}

const DeviceClass vfio_pci_device_class = {
    .name = "vfio-pci",
    .desc = "a host PCI device bound to vfio-pci, on the guest's PCI root bus",
    .instance_size = sizeof(VfioPciDevice),
    .props = vfio_pci_props,
    .pci = true,
    .realize = vfio_pci_realize,
    .fdt_node = vfio_pci_fdt_node,
    .unrealize = vfio_pci_unrealize,
    .print_stats = vfio_pci_print_stats,
    .hotplug_pci = vfio_pci_hotplug_pci,
    .host_name = vfio_pci_host_name,
};
