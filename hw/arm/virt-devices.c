// SPDX-License-Identifier: GPL-2.0-only
/* The device models the virt board offers to -device and device_add: the board owns its list. */
#include "hw/arm/virt.h"
#include "hw/char/pl011.h"
#include "hw/pci/pcie-root-port.h"
#include "hw/vfio/vfio-pci.h"
#include "hw/vfio/vfio-sysbus.h"
#include "hw/virtio/virtio-devices.h"

const DeviceClass *const virt_device_classes[] = {
    &pl011_device_class,
    &vfio_platform_device_class,
    &vfio_amba_device_class,
    &vfio_pci_device_class,
    &pcie_root_port_device_class,
    &vhost_user_blk_pci_device_class,
    &virtio_net_pci_device_class,
    &vhost_vsock_pci_device_class,
    NULL,
};
