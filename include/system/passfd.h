/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Descriptors passed in by a manager (fd=, group-fd=, -accel kvm,fd=): parsing the number and
 * checking that the open file is the character device it should be, by its device number
 * against the one sysfs gives for that device (Documentation/ABI/testing/sysfs-dev: every
 * char device's "dev" file holds "MAJOR:MINOR"; /sys/dev/char/MAJOR:MINOR links to it).
 */
#ifndef ARMPASS_SYSTEM_PASSFD_H
#define ARMPASS_SYSTEM_PASSFD_H

#include "system/hostops.h"

#include <glib.h>
#include <stdbool.h>

#define PASSFD_ERROR passfd_error_quark()
GQuark passfd_error_quark(void);

/*
 * Parses "N", a descriptor number (decimal, 0 to INT_MAX) given as what ("fd", "group-fd").
 * Errors (PASSFD_ERROR, EINVAL): not a number, negative, too large.
 */
bool passfd_parse(const char *str, const char *what, int *out, GError **errp);

/*
 * Checks that fd (what: how the user gave it, e.g. "-object iommufd,fd=5") is open (fstat
 * through ops), a character device, and, when sysfs_dev_file ("<sysfs>/class/misc/iommu/dev")
 * can be read, the device whose "MAJOR:MINOR" that file holds; expect names it for the
 * message ("/dev/iommu"). A file sysfs cannot tell about is accepted here (the caller's first
 * ioctl then checks the kind). Errors, one line each, PASSFD_ERROR with the errno: EBADF (not
 * open: "the launcher must pass it open, without FD_CLOEXEC"), ENOTTY (not a character
 * device, or another device: named from <sysfs_root>/dev/char/MAJOR:MINOR when it is there).
 */
bool passfd_check_chardev(const HostOps *ops, const char *sysfs_root, int fd, const char *what,
                          const char *sysfs_dev_file, const char *expect, GError **errp);

#endif
