// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stand-ins for the PCI core's bus functions (include/hw/pci/pci.h) that the host bridge
 * calls, so that armpass links until hw/pci/pci.c lands (meson.build picks that file up
 * instead once it exists). No run reaches them: no device model sets DeviceClass.pci yet.
 */
#include "hw/pci/pci.h"

PCIBus *pci_bus_new(MemoryRegion *sysmem, AddressSpace *as, const PCIWindow *windows,
                    unsigned nr_windows)
{
    (void)sysmem, (void)as, (void)windows, (void)nr_windows;
    g_error("pci_bus_new: this armpass is built without the PCI core (hw/pci/pci.c)");
}

void pci_bus_free(PCIBus *bus)
{
    g_assert(bus == NULL);
}

uint32_t pci_bus_config_read(PCIBus *bus, uint8_t busnr, uint8_t devfn, uint32_t reg,
                             unsigned len)
{
    (void)bus, (void)busnr, (void)devfn, (void)reg, (void)len;
    g_error("pci_bus_config_read: this armpass is built without the PCI core (hw/pci/pci.c)");
}

void pci_bus_config_write(PCIBus *bus, uint8_t busnr, uint8_t devfn, uint32_t reg,
                          uint32_t val, unsigned len)
{
    (void)bus, (void)busnr, (void)devfn, (void)reg, (void)len, (void)val;
    g_error("pci_bus_config_write: this armpass is built without the PCI core (hw/pci/pci.c)");
}
