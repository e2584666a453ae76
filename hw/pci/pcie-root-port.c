// SPDX-License-Identifier: GPL-2.0-only
/* pcie-root-port: an emulated PCIe Root Port whose secondary bus is one native hot-plug slot. */
#define G_LOG_DOMAIN "armpass-pci"
#include "hw/pci/pcie-root-port.h"

#include "hw/core/fdt.h"
#include "hw/pci/msi.h"
#include "hw/pci/pci-fdt.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define RP_VENDOR_ID 0x1b36 /* the IDs QEMU's generic root port shows (Red Hat, 0x000c) */
#define RP_DEVICE_ID 0x000c
#define RP_EXP_SIZE  0x3c   /* PCI Express capability, version 2 (PCIe 4.0, 7.5.3) */

#define EXP(reg) (PCIE_RP_EXP_CAP + (reg))

/* Slot Status event bits, and the Slot Control enable of each (PCIe 4.0, 7.5.3.10-11). */
static const struct {
    uint16_t status, enable;
} slot_events[] = {
    { PCI_EXP_SLTSTA_ABP, PCI_EXP_SLTCTL_ABPE },
    { PCI_EXP_SLTSTA_PFD, PCI_EXP_SLTCTL_PFDE },
    { PCI_EXP_SLTSTA_MRLSC, PCI_EXP_SLTCTL_MRLSCE },
    { PCI_EXP_SLTSTA_PDC, PCI_EXP_SLTCTL_PDCE },
    { PCI_EXP_SLTSTA_CC, PCI_EXP_SLTCTL_CCIE },
    { PCI_EXP_SLTSTA_DLLSC, PCI_EXP_SLTCTL_DLLSCE },
};

static const Property pcie_root_port_props[] = {
    { "addr", PROP_STRING, offsetof(PCIERootPort, addr), 0,
      "the port's slot and function on the root bus SLOT[.FN] in hex (default: the first "
      "free slot)" },
    { "chassis", PROP_UINT64, offsetof(PCIERootPort, chassis), 0,
      "chassis number (accepted for QEMU command lines; not shown to the guest)" },
    { "slot", PROP_UINT64, offsetof(PCIERootPort, slot), offsetof(PCIERootPort, slot_set),
      "physical slot number the guest sees (/sys/bus/pci/slots/N; default: the port's "
      "device number)" },
    PROP_END,
};

static PCIERootPort *to_rp(PCIDevice *pdev)
{
    return (PCIERootPort *)(void *)((char *)pdev - offsetof(PCIERootPort, pdev));
}

PCIERootPort *pcie_root_port_from_device(DeviceState *dev)
{
    return dev && dev->klass == &pcie_root_port_device_class && dev->realized
               ? (PCIERootPort *)dev : NULL;
}

PCIERootPort *pcie_root_port_find(MachineState *ms, const char *id)
{
    for (unsigned i = 0; id && ms->devices && i < ms->devices->len; i++) {
        DeviceState *dev = g_ptr_array_index(ms->devices, i);

        if (dev->klass == &pcie_root_port_device_class && g_strcmp0(dev->id, id) == 0) {
            return (PCIERootPort *)dev;
        }
    }
    return NULL;
}

void pcie_root_port_set_power_off_handler(PCIERootPort *rp, PCIERootPortPowerOffFn fn,
                                          void *opaque)
{
    rp->power_off_fn = fn;
    rp->power_off_opaque = opaque;
}

/* ---- The hot-plug interrupt ---------------------------------------------------------- */

/* PCIe 4.0, 6.7.3.4: the interrupt is asserted while Hot-Plug Interrupt Enable is set and
 * some event bit is set with its enable. */
static bool hotplug_irq_condition(const PCIERootPort *rp)
{
    uint16_t ctl = pci_get_word(&rp->pdev, EXP(PCI_EXP_SLTCTL));
    uint16_t sta = pci_get_word(&rp->pdev, EXP(PCI_EXP_SLTSTA));

    if (!(ctl & PCI_EXP_SLTCTL_HPIE)) {
        return false;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(slot_events); i++) {
        if ((sta & slot_events[i].status) && (ctl & slot_events[i].enable)) {
            return true;
        }
    }
    return false;
}

void pcie_root_port_update_irq(PCIERootPort *rp)
{
    PCIDevice *d = &rp->pdev;
    bool level = hotplug_irq_condition(rp);
    bool msi_on = d->msi && d->msi->enabled;
    bool rising = level && !rp->irq_level;
    uint16_t status = pci_get_word(d, PCI_STATUS);

    rp->irq_level = level;
    if (msi_on) {
        /* MSI: one message per rise of the condition (pciehp clears every event bit in its
         * handler and re-reads, so events that pile up meanwhile are seen). */
        pci_set_intx(d, false);
        pci_set_word(d, PCI_STATUS, status & ~PCI_STATUS_INTERRUPT);
        if (rising && !msi_vector_masked(d, 0)) {
            MachineState *ms = rp->ms;
            uint64_t addr;
            uint32_t data;
            g_autoptr(GError) err = NULL;

            msi_vector_message(d, 0, &addr, &data);
            rp->msis++;
            if (ms && ms->irq_ops && ms->irq_ops->signal_msi &&
                !ms->irq_ops->signal_msi(ms->irq_opaque, addr, data, pci_requester_id(d),
                                         &err)) {
                rp->msi_errors++;
                g_warning("%s: hot-plug MSI: %s", rp->parent.id, err->message);
            }
        } else if (rising) {
            msi_set_pending(d, 0, true);
        }
        return;
    }
    pci_set_word(d, PCI_STATUS, level ? status | PCI_STATUS_INTERRUPT
                                      : status & ~PCI_STATUS_INTERRUPT);
    pci_set_intx(d, level && !(pci_get_word(d, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE));
}

static void slot_event(PCIERootPort *rp, uint16_t events)
{
    uint16_t sta = pci_get_word(&rp->pdev, EXP(PCI_EXP_SLTSTA));

    pci_set_word(&rp->pdev, EXP(PCI_EXP_SLTSTA), sta | events);
    pcie_root_port_update_irq(rp);
}

static void rp_msi_enable_changed(PCIDevice *d, bool enabled)
{
    PCIERootPort *rp = to_rp(d);

    (void)enabled;
    rp->irq_level = false; /* a condition already true sends a message once MSI is on */
    pcie_root_port_update_irq(rp);
}

static void rp_msi_vector_changed(PCIDevice *d, unsigned vector, bool masked, uint64_t addr,
                                  uint32_t data)
{
    (void)d, (void)vector, (void)masked, (void)addr, (void)data;
}

static const PCIVectorOps rp_msi_ops = {
    .enable_changed = rp_msi_enable_changed,
    .vector_changed = rp_msi_vector_changed,
};

/* ---- The slot ------------------------------------------------------------------------ */

static PCIDevice *slot_device(const PCIERootPort *rp)
{
    GPtrArray *devs;
    PCIDevice *d = NULL;

    if (!rp->sec_bus) {
        return NULL;
    }
    devs = pci_bus_devices(rp->sec_bus);
    if (devs->len) {
        d = g_ptr_array_index(devs, 0);
    }
    g_ptr_array_unref(devs);
    return d;
}

static void link_set(PCIERootPort *rp, bool up, bool event)
{
    uint16_t lnksta = pci_get_word(&rp->pdev, EXP(PCI_EXP_LNKSTA));
    bool was = lnksta & PCI_EXP_LNKSTA_DLLLA;

    lnksta = up ? lnksta | PCI_EXP_LNKSTA_DLLLA : lnksta & ~PCI_EXP_LNKSTA_DLLLA;
    pci_set_word(&rp->pdev, EXP(PCI_EXP_LNKSTA), lnksta);
    if (event && was != up) {
        slot_event(rp, PCI_EXP_SLTSTA_DLLSC);
    }
}

static bool slot_powered(const PCIERootPort *rp)
{
    return !(pci_get_word(&rp->pdev, EXP(PCI_EXP_SLTCTL)) & PCI_EXP_SLTCTL_PCC);
}

/* Plugs and unplugs on the secondary bus (pci_bus_add_device / pci_bus_remove_device). */
static void slot_plug(void *opaque, PCIDevice *d, bool plugged)
{
    PCIERootPort *rp = opaque;
    PCIDevice *p = &rp->pdev;
    uint16_t sta = pci_get_word(p, EXP(PCI_EXP_SLTSTA));
    bool hot = rp->ms && rp->ms->guest_running;

    if (d->devfn & 7) {
        return; /* the slot follows function 0 */
    }
    if (plugged) {
        pci_set_word(p, EXP(PCI_EXP_SLTSTA), sta | PCI_EXP_SLTSTA_PDS);
        if (!hot) {
            /* Cold-plugged: present, powered, link up at reset, as firmware leaves it. */
            uint16_t ctl = pci_get_word(p, EXP(PCI_EXP_SLTCTL));

            ctl &= (uint16_t)~(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC);
            pci_set_word(p, EXP(PCI_EXP_SLTCTL), ctl | PCI_EXP_SLTCTL_PWR_IND_ON);
            link_set(rp, true, false);
        } else {
            /* Hot-plugged: the slot's power stays off until pciehp turns it on. With an
             * attention button pciehp listens to the button, not to presence (it leaves
             * PDCE off): the button is pressed with the card in, and the Presence Detect
             * Changed seen with it makes pciehp power the slot at once rather than after
             * its 5 s blink (pciehp_ctrl.c: BLINKINGON_STATE, then a presence change). */
            g_debug("%s: card present, attention button pressed", rp->parent.id);
            slot_event(rp, PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_ABP);
        }
        return;
    }
    rp->unplug_requested = false;
    pci_set_word(p, EXP(PCI_EXP_SLTSTA), sta & ~PCI_EXP_SLTSTA_PDS);
    link_set(rp, false, hot);
    if (hot) {
        slot_event(rp, PCI_EXP_SLTSTA_PDC);
    }
}

static gboolean power_off_dispatch(gpointer opaque)
{
    PCIERootPort *rp = opaque;
    PCIDevice *d;

    bool on;

    /* The power-off was seen under the dispatch lock; the slot is checked again here: the
     * guest may have powered it on again meanwhile (then the device stays). */
    machine_dispatch_lock(rp->ms);
    rp->power_off_source = 0;
    on = slot_powered(rp);
    d = slot_device(rp);
    machine_dispatch_unlock(rp->ms);
    if (!on && d && rp->power_off_fn) {
        rp->power_off_fn(rp, d, rp->power_off_opaque);
    }
    return G_SOURCE_REMOVE;
}

/* A write to Slot Control: the command completes at once (Command Completed), power and
 * link follow the Power Controller Control bit. */
static void slot_control_written(PCIERootPort *rp, uint16_t old)
{
    uint16_t ctl = pci_get_word(&rp->pdev, EXP(PCI_EXP_SLTCTL));
    bool was_on = !(old & PCI_EXP_SLTCTL_PCC), on = !(ctl & PCI_EXP_SLTCTL_PCC);
    PCIDevice *d = slot_device(rp);

    if (was_on != on) {
        g_debug("%s: slot power %s", rp->parent.id, on ? "on" : "off");
        link_set(rp, on && d, true);
        if (!on && d && rp->ms && rp->ms->guest_running && !rp->power_off_source) {
            /* The guest has let the device go: hand it over from the main loop (not from a
             * vCPU's trapped access, which holds the dispatch lock). */
            GSource *src = g_idle_source_new();

            g_source_set_callback(src, power_off_dispatch, rp, NULL);
            rp->power_off_source = g_source_attach(src, rp->ms->main_context);
            g_source_unref(src);
        }
    }
    slot_event(rp, PCI_EXP_SLTSTA_CC);
}

bool pcie_root_port_request_unplug(PCIERootPort *rp, GError **errp)
{
    uint16_t ctl = pci_get_word(&rp->pdev, EXP(PCI_EXP_SLTCTL));

    if (!slot_device(rp)) {
        g_set_error(errp, PCI_ERROR, ENODEV, "%s: the slot is empty", rp->parent.id);
        return false;
    }
    if (rp->unplug_requested) {
        g_set_error(errp, PCI_ERROR, EINPROGRESS, "%s: an unplug is already under way (the "
                    "guest powers the slot off about 5 s after the request)", rp->parent.id);
        return false;
    }
    if (!(ctl & PCI_EXP_SLTCTL_HPIE) || !(ctl & PCI_EXP_SLTCTL_ABPE)) {
        g_set_error(errp, PCI_ERROR, EBUSY, "%s: the guest has not enabled hot-plug on the "
                    "slot (no pciehp: a kernel with CONFIG_HOTPLUG_PCI_PCIE and "
                    "CONFIG_PCIEPORTBUS), so nobody would release the device",
                    rp->parent.id);
        return false;
    }
    if (!slot_powered(rp)) {
        /* The button on a slot that is off asks pciehp to power it on, not to release. */
        g_set_error(errp, PCI_ERROR, EBUSY, "%s: the guest has powered the slot off (its "
                    "device is kept): have it power the slot on again (echo 1 > "
                    "/sys/bus/pci/slots/N/power), then device_del", rp->parent.id);
        return false;
    }
    rp->unplug_requested = true;
    rp->unplug_requested_at = g_get_monotonic_time();
    g_debug("%s: attention button pressed", rp->parent.id);
    slot_event(rp, PCI_EXP_SLTSTA_ABP);
    return true;
}

/* ---- Config space -------------------------------------------------------------------- */

static void rp_config_write(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    PCIERootPort *rp = to_rp(d);
    uint16_t old_ctl = pci_get_word(d, EXP(PCI_EXP_SLTCTL));
    bool ctl_written = addr < EXP(PCI_EXP_SLTCTL) + 2 && EXP(PCI_EXP_SLTCTL) < addr + len;

    pci_default_write_config(d, addr, val, len);
    if (ctl_written) {
        slot_control_written(rp, old_ctl);
    }
    pcie_root_port_update_irq(rp); /* status bits cleared, enables or INTx-disable changed */
}

static const PCIDeviceOps rp_config_ops = {
    .config_write = rp_config_write,
};

/* The PCI Express capability of a Root Port with a hot-plug slot (PCIe 4.0, 7.5.3). */
static void exp_cap_init(PCIERootPort *rp, unsigned port, unsigned psn)
{
    PCIDevice *d = &rp->pdev;
    uint16_t w1c_sta = PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PFD | PCI_EXP_SLTSTA_MRLSC |
                       PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_CC | PCI_EXP_SLTSTA_DLLSC;

    d->config[EXP(PCI_CAP_LIST_ID)] = PCI_CAP_ID_EXP;
    d->config[EXP(PCI_CAP_LIST_NEXT)] = rp->msi_ok ? PCIE_RP_MSI_CAP : 0;
    /* Version 2, Root Port, Slot Implemented; the hot-plug interrupt is MSI vector 0. */
    pci_set_word(d, EXP(PCI_EXP_FLAGS), 2 | PCI_EXP_TYPE_ROOT_PORT << 4 | PCI_EXP_FLAGS_SLOT);
    pci_set_word_mask(d, EXP(PCI_EXP_DEVCTL), PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE |
                      PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE | PCI_EXP_DEVCTL_RELAX_EN |
                      PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_READRQ | PCI_EXP_DEVCTL_NOSNOOP_EN);
    /* A x1 2.5 GT/s link that reports Data Link Layer Link Active (pciehp waits on it). */
    pci_set_long(d, EXP(PCI_EXP_LNKCAP), PCI_EXP_LNKCAP_SLS_2_5GB | 1u << 4 |
                 PCI_EXP_LNKCAP_DLLLARC | (uint32_t)port << 24);
    pci_set_word_mask(d, EXP(PCI_EXP_LNKCTL), PCI_EXP_LNKCTL_ASPMC | PCI_EXP_LNKCTL_RCB |
                      PCI_EXP_LNKCTL_LD | PCI_EXP_LNKCTL_CCC | PCI_EXP_LNKCTL_ES |
                      PCI_EXP_LNKCTL_LBMIE | PCI_EXP_LNKCTL_LABIE);
    pci_set_word(d, EXP(PCI_EXP_LNKSTA), PCI_EXP_LNKSTA_CLS_2_5GB | 1u << 4);
    /* Attention button, power controller, both indicators, hot-plug capable; no MRL
     * sensor, no surprise removal, commands complete (Command Completed is reported). */
    pci_set_long(d, EXP(PCI_EXP_SLTCAP), PCI_EXP_SLTCAP_ABP | PCI_EXP_SLTCAP_PCP |
                 PCI_EXP_SLTCAP_AIP | PCI_EXP_SLTCAP_PIP | PCI_EXP_SLTCAP_HPC |
                 (uint32_t)psn << 19);
    pci_set_word_mask(d, EXP(PCI_EXP_SLTCTL), PCI_EXP_SLTCTL_ABPE | PCI_EXP_SLTCTL_PFDE |
                      PCI_EXP_SLTCTL_MRLSCE | PCI_EXP_SLTCTL_PDCE | PCI_EXP_SLTCTL_CCIE |
                      PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_AIC | PCI_EXP_SLTCTL_PIC |
                      PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_DLLSCE);
    /* Empty at reset: power off, both indicators off. */
    pci_set_word(d, EXP(PCI_EXP_SLTCTL), PCI_EXP_SLTCTL_PWR_OFF | PCI_EXP_SLTCTL_PWR_IND_OFF |
                 PCI_EXP_SLTCTL_ATTN_IND_OFF);
    d->w1cmask[EXP(PCI_EXP_SLTSTA)] = (uint8_t)w1c_sta;
    d->w1cmask[EXP(PCI_EXP_SLTSTA) + 1] = (uint8_t)(w1c_sta >> 8);
    pci_set_word_mask(d, EXP(PCI_EXP_RTCTL), PCI_EXP_RTCTL_SECEE | PCI_EXP_RTCTL_SENFEE |
                      PCI_EXP_RTCTL_SEFEE | PCI_EXP_RTCTL_PMEIE);
    d->w1cmask[EXP(PCI_EXP_RTSTA) + 2] = PCI_EXP_RTSTA_PME >> 16;
    pci_set_word_mask(d, EXP(PCI_EXP_DEVCTL2), PCI_EXP_DEVCTL2_COMP_TIMEOUT |
                      PCI_EXP_DEVCTL2_ARI);
}

/* ---- Life cycle ---------------------------------------------------------------------- */

static void pcie_root_port_unrealize(DeviceState *dev, MachineState *ms);

static bool pcie_root_port_realize(DeviceState *dev, MachineState *ms, GError **errp)
{
    PCIERootPort *rp = (PCIERootPort *)dev;
    PCIDevice *d = &rp->pdev;
    int devfn;

    rp->ms = ms;
    rp->intx_group = -1;
    if (!pci_parse_addr(rp->addr, &devfn, errp)) {
        return false;
    }
    if (!ms->pci_bus) {
        g_set_error(errp, PCI_ERROR, ENODEV, "the machine has no PCI bus");
        return false;
    }
    if (rp->slot_set && rp->slot > 0x1fff) {
        g_set_error(errp, PCI_ERROR, EINVAL, "slot=%" PRIu64 ": give a physical slot number "
                    "0-8191 (13 bits)", rp->slot);
        return false;
    }
    rp->msi_ok = !ms->irq_ops || !ms->irq_ops->has_msi || ms->irq_ops->has_msi(ms->irq_opaque);
    d->name = dev->id;
    d->ops = &rp_config_ops;
    pci_config_init(d, PCIE_CONFIG_SPACE_SIZE);
    pci_bridge_config_init(d);
    pci_set_word(d, PCI_VENDOR_ID, RP_VENDOR_ID);
    pci_set_word(d, PCI_DEVICE_ID, RP_DEVICE_ID);
    pci_set_word(d, PCI_CLASS_DEVICE, 0x0604); /* bridge, PCI-to-PCI */
    pci_set_word(d, PCI_STATUS, PCI_STATUS_CAP_LIST);
    d->config[PCI_CAPABILITY_LIST] = PCIE_RP_EXP_CAP;
    d->config[PCI_INTERRUPT_PIN] = 1; /* INTA, when the guest does not use MSI */
    d->intx_emulated = true;
    if (!pci_bus_add_device(ms->pci_bus, d, devfn, errp)) {
        return false;
    }
    exp_cap_init(rp, d->devfn >> 3, rp->slot_set ? (unsigned)rp->slot : d->devfn >> 3);
    if (rp->msi_ok) {
        msi_init(d, PCIE_RP_MSI_CAP, 1, true, false, &rp_msi_ops);
    }
    rp->sec_bus = pci_bridge_bus_new(d, dev->id, true);
    pci_bus_set_plug_handler(rp->sec_bus, slot_plug, rp);
    for (unsigned g = 0; g < ms->pci_port_intx_groups && rp->intx_group < 0; g++) {
        if (!(ms->pci_port_intx_used & (1u << g))) {
            ms->pci_port_intx_used |= 1u << g;
            rp->intx_group = (int)g;
            pci_bridge_set_intx_lines(d, ms->pci_port_intx_spi + 4 * g);
        }
    }
    if (ms->pci_port_intx_groups && rp->intx_group < 0) {
        g_set_error(errp, PCI_ERROR, ENOSPC, "no INTx lines left for another root port (the "
                    "board has %u): give fewer -device pcie-root-port",
                    ms->pci_port_intx_groups);
        pcie_root_port_unrealize(dev, ms);
        return false;
    }
    g_debug("%s: PCIe root port at 00:%02x.%x, physical slot %u, hot-plug interrupt by %s, "
            "slot INTx %s", dev->id, d->devfn >> 3, d->devfn & 7,
            (unsigned)(pci_get_long(d, EXP(PCI_EXP_SLTCAP)) >> 19),
            rp->msi_ok ? "MSI or INTA" : "INTA",
            rp->intx_group >= 0 ? "on lines of its own" : "swizzled onto its INTA");
    return true;
}

static void pcie_root_port_unrealize(DeviceState *dev, MachineState *ms)
{
    PCIERootPort *rp = (PCIERootPort *)dev;

    if (rp->power_off_source) {
        GSource *src = g_main_context_find_source_by_id(rp->ms->main_context,
                                                        rp->power_off_source);
        if (src) {
            g_source_destroy(src);
        }
        rp->power_off_source = 0;
    }
    if (rp->sec_bus) {
        if (slot_device(rp)) {
            g_warning("%s: unrealized with a device still in its slot", dev->id);
            return; /* the bus stays: freeing it would leave the device dangling */
        }
        pci_bus_free(rp->sec_bus);
        rp->sec_bus = NULL;
        rp->pdev.sec_bus = NULL;
    }
    if (rp->intx_group >= 0) { /* its slot is empty: the lines are free for another port */
        ms->pci_port_intx_used &= ~(1u << rp->intx_group);
        rp->intx_group = -1;
    }
    pci_set_intx(&rp->pdev, false);
    if (rp->pdev.bus) {
        pci_bus_remove_device(rp->pdev.bus, &rp->pdev);
    }
    msi_uninit(&rp->pdev);
}

static void pcie_root_port_print_stats(DeviceState *dev, GString *out)
{
    PCIERootPort *rp = (PCIERootPort *)dev;

    g_string_append_printf(out, "  %s: pcie-root-port at 00:%02x.%x, secondary bus %u, slot "
                           "%s; hot-plug MSIs %" PRIu64 " (refused %" PRIu64 ")\n", dev->id,
                           rp->pdev.devfn >> 3, rp->pdev.devfn & 7,
                           rp->sec_bus ? pci_bus_num(rp->sec_bus) : 0,
                           slot_device(rp) ? "occupied" : "empty", rp->msis, rp->msi_errors);
}

/*
 * Adds a root port's node pci@SLOT,FN (reg: its devfn on bus 0, as pci.txt's phys.hi) under
 * the host bridge's node (hw/pci-host/gpex-fdt.c, which the board writes first), with an
 * interrupt-map that sends INTA-D of the device in its slot to GIC SPIs first_spi..first_spi +
 * 3 (level-high). Linux's of_irq_parse_pci then stops its swizzle at the port (the first bridge with a node). The
 * port's own INTA still goes through the host bridge's map: the node says "interrupts" =
 * <1> (INTA, IEEE 1275 PCI binding), which of_irq_parse_one resolves through its parent's
 * interrupt-map with the node's reg, before the node's own map could be taken for it.
 * Source: pci.txt ("PCI-PCI bridge" nodes, interrupt-map), Linux 6.1 drivers/pci/of.c
 * (of_irq_parse_pci, of_pci_find_child_device), drivers/of/irq.c (of_irq_parse_one).
 * Errors: no host bridge node; a libfdt call failed (named).
 */

static bool fdt_add_pcie_root_port(void *fdt, uint8_t devfn, unsigned first_spi,
                                   uint32_t gic_phandle, GError **errp)
{
    g_autofree char *name = g_strdup_printf("pci@%x,%x", devfn >> 3, devfn & 7);
    const fdt32_t reg[5] = { cpu_to_fdt32((uint32_t)devfn << 8), 0, 0, 0, 0 };
    int host, node;

    host = fdt_node_offset_by_compatible(fdt, -1, "pci-host-ecam-generic");
    if (host < 0) {
        g_set_error(errp, ARMPASS_FDT_ERROR, -host, "no PCIe host bridge node for root port "
                    "%02x.%x: %s", devfn >> 3, devfn & 7, fdt_strerror(host));
        return false;
    }
    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, host, name));
    FDT_CHECK(fdt_setprop_string(fdt, node, "device_type", "pci"));
    FDT_CHECK(fdt_setprop(fdt, node, "reg", reg, sizeof(reg)));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "#address-cells", 3));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "#size-cells", 2));
    FDT_CHECK(fdt_setprop(fdt, node, "ranges", NULL, 0));
    /* The port's own INTA, resolved by the host bridge's map (its parent) with the port's
     * reg. Without it Linux would take the node's interrupt-map for the port's own pin too
     * (of_irq_parse_pci: "Local interrupt-map in the device node? Use it!"). */
    FDT_CHECK(fdt_setprop_u32(fdt, node, "interrupts", 1));
    /* The link reaches device 0 only: its four pins, not rotated. */
    return pci_fdt_add_intx_map(fdt, node, 0, 1, first_spi, gic_phandle, errp);
}

/* The guest finds the port by enumerating the host bridge; a node is needed only to map
 * its slot's INTx to the port's own lines. */
static bool pcie_root_port_fdt_node(DeviceState *dev, MachineState *ms, void *fdt,
                                    GError **errp)
{
    PCIERootPort *rp = (PCIERootPort *)dev;

    if (rp->intx_group < 0) {
        return true;
    }
    return fdt_add_pcie_root_port(fdt, rp->pdev.devfn,
                                  ms->pci_port_intx_spi + 4 * (unsigned)rp->intx_group,
                                  ms->gic_phandle, errp);
}

const DeviceClass pcie_root_port_device_class = {
    .name = "pcie-root-port",
    .desc = "a PCI Express root port with a hot-plug slot (give it id=ID; devices go into it "
            "with bus=ID)",
    .instance_size = sizeof(PCIERootPort),
    .props = pcie_root_port_props,
    .pci = true,
    .realize = pcie_root_port_realize,
    .fdt_node = pcie_root_port_fdt_node,
    .no_hotplug = "the guest enumerates root ports at boot only: give it with -device at start",
    .unrealize = pcie_root_port_unrealize,
    .print_stats = pcie_root_port_print_stats,
};
