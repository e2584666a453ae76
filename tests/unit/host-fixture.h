/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host device-tree fixtures shared by test-host-node and test-sysbus-fdt: the compiled
 * fixtures (tests/unit/fixtures, found through SYSBUS_FDT_DTB_DIR / SYSBUS_FDT_DTS_DIR) and
 * host-soc.dtb written out as Linux shows a device tree in /sys/firmware/devicetree/base.
 */
#ifndef ARMPASS_TESTS_UNIT_HOST_FIXTURE_H
#define ARMPASS_TESTS_UNIT_HOST_FIXTURE_H

#include <glib.h>
#include <stddef.h>

/* Bytes of the guest trees the tests build. */
#define GUEST_FDT_SIZE (64 * 1024)

/* The host: host-soc.dtb written out as a sysfs device-tree folder. */
typedef struct Host {
    char *tmp;  /* a fresh temporary folder */
    char *base; /* tmp/base: the host's /sys/firmware/devicetree/base */
} Host;

/* A fixture file: compiled .dtb (build dir) or .dts source. NULL (test skipped) without dtc. */
char *fixture_path(const char *name);
/* Removes path and, for a folder, everything below it. */
void rm_rf(const char *path);
void write_file(const char *path, const void *data, size_t len);
/* Writes fdt's node as a sysfs device-tree folder (one file per property, "name", one folder
 * per child). */
void write_node_dir(const void *fdt, int node, const char *dir);
/* host-soc.dtb under a fresh temporary folder; NULL (test skipped) without the fixtures. */
Host *host_new(void);
void host_free(Host *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Host, host_free)
/* The folder of host node node ("pl031@9010000"), g_free it. */
char *host_dir(Host *h, const char *node);
/* host_node_load_sysfs() of host node node, which must work. */
void *host_load(Host *h, const char *node);

#endif
