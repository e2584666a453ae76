/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A passed-through device's host device-tree node, imported from sysfs or a dt-node=FILE
 * (.dtb or .dts) into a standalone FDT blob and checked as untrusted input, and the host
 * clock rates its guest node needs.
 * Sources (Linux 6.1): Documentation/ABI/testing/sysfs-firmware-ofw (the sysfs layout),
 * Documentation/devicetree/bindings/clock/fixed-clock.yaml, clock/clock-bindings.txt, and the
 * Devicetree Specification v0.4 (2.2.1 node names, 2.3 standard properties, 5.2 the blob
 * layout).
 */
#ifndef ARMPASS_HW_VFIO_HOST_NODE_H
#define ARMPASS_HW_VFIO_HOST_NODE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bounds for an imported host node: total blob bytes and node nesting (the device
 * node is depth 0, its children depth 1, ...). */
#define HOST_NODE_MAX_SIZE (1024 * 1024)
#define HOST_NODE_MAX_DEPTH 8

/*
 * The host node's own name ("pl031@9010000") as the loaders record it in the blob's root:
 * a blob's root node has no name of its own. sysbus_fdt_add_node() reads it and never copies
 * it into the guest. Absent when the device node was a dt-node=FILE's root.
 */
#define HOST_NODE_NAME_PROP "armpass,host-node-name"

/*
 * Imports a host device-tree node from its sysfs/procfs folder (normally the device's
 * /sys/bus/{platform,amba}/devices/DEV/of_node, a symlink into /sys/firmware/devicetree/base):
 * one file per property holding its raw big-endian value, one sub-folder per child node.
 * The "name" file (the node name again, without the unit address) is skipped.
 * Returns a standalone FDT blob (g_free it; validated with fdt_check_full) whose root node
 * holds the node's properties, HOST_NODE_NAME_PROP (the folder's name) and the child nodes,
 * at most HOST_NODE_MAX_DEPTH levels deep and HOST_NODE_MAX_SIZE bytes in all.
 * Errors (G_FILE_ERROR or ARMPASS_FDT_ERROR), each one line naming the path (control
 * characters in it escaped as \n, \r, \t, \xHH, as for the loaders below): the folder is missing
 * (the device has no device-tree node: describe it with dt-node=FILE), an unreadable file,
 * something else than files and folders, a folder that is its own ancestor (a symlink loop),
 * nesting deeper than HOST_NODE_MAX_DEPTH, more than HOST_NODE_MAX_SIZE bytes.
 */
void *host_node_load_sysfs(const char *of_node_dir, GError **errp);

/*
 * Why a device whose host node is blob (root node: the device) does DMA, or NULL: the first of
 * its properties that says so ("dma-coherent", "#dma-cells" (a DMA controller), "dmas" (a DMA
 * client), "dma-ranges") or a compatible that is a DMA master by nature ("virtio,mmio").
 * Source: Documentation/devicetree/bindings/ (dma/dma-common.yaml, virtio/mmio.yaml) and the
 * Devicetree Specification v0.4, 2.3.9 "dma-coherent".
 */
const char *host_node_dma_reason(const void *blob);

/*
 * Imports a device node given by the user (dt-node=FILE): a .dtb (recognised by its FDT
 * magic) or anything else taken as device-tree source and compiled with
 * "dtc -q -I dts -O dtb" (found in PATH). The device node is the tree's root if the root has
 * "compatible", else the root's only child node (whose name is then recorded as
 * HOST_NODE_NAME_PROP). Returns a standalone blob as host_node_load_sysfs() does (g_free it).
 * Errors, each naming the file: unreadable or larger than HOST_NODE_MAX_SIZE, dtc is missing
 * (install device-tree-compiler), dtc rejected the source (its first error line), an invalid
 * .dtb, no device node (root without compatible and not exactly one child), nesting deeper
 * than HOST_NODE_MAX_DEPTH.
 */
void *host_node_load_file(const char *path, GError **errp);

/*
 * host_node_load_file() for a .dtb already in memory: data holds len bytes (at least 8-byte
 * aligned, as libfdt wants; a g_malloc'd buffer is). The device node is chosen as there; path
 * only names the source in messages. Returns a standalone blob as host_node_load_sysfs() does
 * (g_free it; data is not kept). Errors (ARMPASS_FDT_ERROR), each naming path: more than
 * HOST_NODE_MAX_SIZE bytes, not a valid blob (fdt_check_full() over the len bytes given: a
 * header whose sizes or offsets lie past len is refused; so are header versions below 16 and
 * property lengths above 2^31, which libfdt 1.6.1 mishandles), no device node, nesting deeper
 * than HOST_NODE_MAX_DEPTH. Also the fuzz-host-fdt target's entry point (tests/fuzz).
 */
void *host_node_load_blob(const void *data, size_t len, const char *path, GError **errp);

/*
 * Reads the rate of a host clock: walks the host device-tree folder dt_base_dir (normally
 * /sys/firmware/devicetree/base; symlinks are not followed, at most 32 levels) for the node
 * whose "phandle" (or "linux,phandle") file holds phandle, and reads its "clock-frequency"
 * (a 32- or 64-bit big-endian cell, clock/fixed-clock.yaml) into *hz (Hz).
 * Errors (ARMPASS_FDT_ERROR): dt_base_dir unreadable, no node with that phandle, the node
 * has no clock-frequency or a malformed one, a rate of 0 or above 4 GHz; each suggests
 * giving the rate with clock-rate=HZ.
 */
bool host_dt_clock_rate(const char *dt_base_dir, uint32_t phandle, uint32_t *hz, GError **errp);

/*
 * fdt_check_full() over len bytes of an untrusted blob, made safe for any input and
 * completed for two holes of libfdt 1.6.1 (Debian 12): header versions below 16 are refused
 * (-FDT_ERR_BADVERSION) and every property must have a length >= 0 whose bytes lie within
 * len (-FDT_ERR_BADSTRUCTURE). Returns 0 or a negative libfdt error. Source: libfdt's
 * fdt_check_full(), Devicetree Specification v0.4 5.2.
 */
int fdt_check_untrusted(const void *fdt, size_t len);

/*
 * Reads the property file dir/name (a host node folder, as under /sys/firmware/devicetree/
 * base) of at most max bytes into *data (g_free it; NUL-terminated after *len bytes).
 * Returns false with *errp unset when the file does not exist; errors (G_FILE_ERROR), naming
 * the path: unreadable, not a regular file, larger than max.
 */
bool host_dt_read_prop(const char *dir, const char *name, size_t max, guint8 **data,
                       size_t *len, GError **errp);

/*
 * The folder of the host node whose "phandle" (or "linux,phandle") file holds phandle, found
 * by walking dt_base_dir (symlinks not followed, at most 32 levels); g_free it. Errors:
 * dt_base_dir is not a folder (G_FILE_ERROR), no such node (ARMPASS_FDT_ERROR).
 */
char *host_dt_find_phandle(const char *dt_base_dir, uint32_t phandle, GError **errp);

/*
 * Reads the "clock-frequency" of the host node folder dir into *hz (Hz), as
 * host_dt_clock_rate() does, without its clock-rate= hint. Errors (ARMPASS_FDT_ERROR): no
 * clock-frequency or a malformed one, a rate of 0 or above 4 GHz.
 */
bool host_dir_clock_rate(const char *dir, uint32_t *hz, GError **errp);

#endif
