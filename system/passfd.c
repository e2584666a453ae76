// SPDX-License-Identifier: GPL-2.0-only
/* Descriptors passed in by a manager: their numbers parsed, their kind checked (passfd.h). */
#define G_LOG_DOMAIN "armpass-passfd"
#include "system/passfd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

G_DEFINE_QUARK(armpass-passfd-error, passfd_error)

bool passfd_parse(const char *str, const char *what, int *out, GError **errp)
{
    guint64 n;

    if (!str || !g_ascii_string_to_unsigned(str, 10, 0, G_MAXINT, &n, NULL)) {
        g_set_error(errp, PASSFD_ERROR, EINVAL, "%s=%s: not a descriptor number (give the "
                    "number of a descriptor armpass inherits open, e.g. %s=3)", what,
                    str ? str : "", what);
        return false;
    }
    *out = (int)n;
    return true;
}

/* What char device MAJ:MIN is, from sysfs (the basename of its /sys/dev/char link), or NULL. */
static char *chardev_name(const char *sysfs_root, unsigned maj, unsigned min)
{
    g_autofree char *leaf = g_strdup_printf("%u:%u", maj, min);
    g_autofree char *link = g_build_filename(sysfs_root, "dev", "char", leaf, NULL);
    g_autofree char *target = g_file_read_link(link, NULL);

    return target ? g_path_get_basename(target) : NULL;
}

bool passfd_check_chardev(const HostOps *ops, const char *sysfs_root, int fd, const char *what,
                          const char *sysfs_dev_file, const char *expect, GError **errp)
{
    struct stat st;
    g_autofree char *want = NULL;
    unsigned wmaj, wmin;

    if (ops->fstat(ops->opaque, fd, &st) < 0) {
        int err = errno;

        g_set_error(errp, PASSFD_ERROR, err, "%s: %s%s", what, g_strerror(err),
                    err == EBADF ? ": no such open descriptor (the launcher must pass it open, "
                                   "without FD_CLOEXEC)" : "");
        return false;
    }
    if (!S_ISCHR(st.st_mode)) {
        g_set_error(errp, PASSFD_ERROR, ENOTTY, "%s: not a character device (it must be an "
                    "open %s)", what, expect);
        return false;
    }
    if (sysfs_dev_file && g_file_get_contents(sysfs_dev_file, &want, NULL, NULL) &&
        sscanf(want, "%u:%u", &wmaj, &wmin) == 2 &&
        (major(st.st_rdev) != wmaj || minor(st.st_rdev) != wmin)) {
        g_autofree char *is = chardev_name(sysfs_root, major(st.st_rdev), minor(st.st_rdev));

        g_set_error(errp, PASSFD_ERROR, ENOTTY, "%s: char device %u:%u%s%s%s is not %s (%u:%u, "
                    "%s): pass an open %s", what, major(st.st_rdev), minor(st.st_rdev),
                    is ? " (" : "", is ? is : "", is ? ")" : "", expect, wmaj, wmin,
                    sysfs_dev_file, expect);
        return false;
    }
    g_debug("%s: char device %u:%u, taken as %s", what, major(st.st_rdev), minor(st.st_rdev),
            expect);
    return true;
}
