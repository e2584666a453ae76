// SPDX-License-Identifier: GPL-2.0-only
/* Imports host device-tree nodes and rewrites them into guest nodes for passed-through devices. */
#define G_LOG_DOMAIN "armpass-fdt"
#include "hw/arm/sysbus-fdt.h"

#include "hw/arm/fdt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Bounds of the walk over the whole host tree for a phandle. */
#define HOST_DT_WALK_MAX_DEPTH 32
#define HOST_DT_WALK_MAX_NODES 100000
/* The largest #clock-cells accepted from a host clock provider. */
#define CLOCK_CELLS_MAX 8
/* clocks reference meaning the board's apb_pclk (ms->apb_pclk_phandle). */
#define CLOCK_REF_BOARD (-1)

typedef enum PropMatch { MATCH_EXACT, MATCH_PREFIX, MATCH_SUFFIX } PropMatch;

typedef struct DroppedProp {
    const char *name;
    PropMatch match;
} DroppedProp;

/*
 * Host properties that hold phandles (or name entries of such) that mean nothing in the
 * guest: the guest has no reset, pinctrl, power-domain, DMA, IOMMU, PHY, GPIO, regulator,
 * nvmem, interconnect or OPP providers of the host. Dropped from generated nodes.
 */
static const DroppedProp sysbus_fdt_dropped_props[] = {
    { "phandle", MATCH_EXACT },
    { "linux,phandle", MATCH_EXACT },
    { "interrupts-extended", MATCH_EXACT },
    { "interrupt-map", MATCH_EXACT },
    { "interrupt-map-mask", MATCH_EXACT },
    { "resets", MATCH_EXACT },
    { "reset-names", MATCH_EXACT },
    { "pinctrl-", MATCH_PREFIX },           /* pinctrl-0..N, pinctrl-names */
    { "power-domains", MATCH_EXACT },
    { "power-domain-names", MATCH_EXACT },
    { "dmas", MATCH_EXACT },
    { "dma-names", MATCH_EXACT },
    { "iommus", MATCH_EXACT },
    { "iommu-map", MATCH_EXACT },
    { "iommu-map-mask", MATCH_EXACT },
    { "phys", MATCH_EXACT },
    { "phy-names", MATCH_EXACT },
    { "phy", MATCH_EXACT },
    { "phy-handle", MATCH_EXACT },
    { "msi-parent", MATCH_EXACT },
    { "msi-map", MATCH_EXACT },
    { "msi-map-mask", MATCH_EXACT },
    { "gpios", MATCH_EXACT },
    { "gpio", MATCH_EXACT },
    { "-gpios", MATCH_SUFFIX },
    { "-gpio", MATCH_SUFFIX },
    { "-supply", MATCH_SUFFIX },            /* regulators */
    { "assigned-clock", MATCH_PREFIX },     /* assigned-clocks, -rates, -parents */
    { "nvmem-cells", MATCH_EXACT },
    { "nvmem-cell-names", MATCH_EXACT },
    { "interconnects", MATCH_EXACT },
    { "interconnect-names", MATCH_EXACT },
    { "operating-points-v2", MATCH_EXACT },
    { "memory-region", MATCH_EXACT },
    { "memory-region-names", MATCH_EXACT },
    { "sram", MATCH_EXACT },
    { "mboxes", MATCH_EXACT },
    { "mbox-names", MATCH_EXACT },
    { "hwlocks", MATCH_EXACT },
    { "hwlock-names", MATCH_EXACT },
    { "io-channels", MATCH_EXACT },
    { "io-channel-names", MATCH_EXACT },
    { "snps,axi-config", MATCH_EXACT },     /* dwmac: phandles to its own child nodes */
    { "snps,mtl-rx-config", MATCH_EXACT },
    { "snps,mtl-tx-config", MATCH_EXACT },
};

static bool prop_in_drop_table(const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < G_N_ELEMENTS(sysbus_fdt_dropped_props); i++) {
        const DroppedProp *d = &sysbus_fdt_dropped_props[i];
        size_t dlen = strlen(d->name);
        switch (d->match) {
        case MATCH_EXACT:
            if (!strcmp(name, d->name)) {
                return true;
            }
            break;
        case MATCH_PREFIX:
            if (len > dlen && !strncmp(name, d->name, dlen)) {
                return true;
            }
            break;
        case MATCH_SUFFIX:
            if (len > dlen && !strcmp(name + len - dlen, d->name)) {
                return true;
            }
            break;
        }
    }
    return false;
}

static uint32_t cell_at(const void *val, unsigned i)
{
    fdt32_t c;
    memcpy(&c, (const uint8_t *)val + 4 * (size_t)i, sizeof(c));
    return fdt32_to_cpu(c);
}

static void byte_array_append_u32(GByteArray *a, uint32_t v)
{
    fdt32_t c = cpu_to_fdt32(v);
    g_byte_array_append(a, (const guint8 *)&c, sizeof(c));
}

static void byte_array_append_str(GByteArray *a, const char *s)
{
    g_byte_array_append(a, (const guint8 *)s, strlen(s) + 1);
}

/* Whether a string-list value (already validated: NUL-terminated) holds s. */
static bool stringlist_contains(const guint8 *val, size_t len, const char *s)
{
    for (size_t off = 0; off < len; off += strlen((const char *)val + off) + 1) {
        if (!strcmp((const char *)val + off, s)) {
            return true;
        }
    }
    return false;
}

/* ---- Reading host files ---- */

/*
 * Reads a regular file of at most max bytes into *data (g_free it; never NULL) and *len.
 * Errors (G_FILE_ERROR): cannot open or read, not a regular file, larger than max.
 */
static bool read_file_bounded(const char *path, size_t max, guint8 **data, size_t *len,
                              GError **errp)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();
    guint8 chunk[4096];
    struct stat st;
    int fd;

    /* O_NONBLOCK: a FIFO planted in the folder must not hang us before fstat rejects it. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                    g_strerror(e));
        return false;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a regular file", path);
        close(fd);
        return false;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int e = errno;
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                        g_strerror(e));
            close(fd);
            return false;
        }
        if (n == 0) {
            break;
        }
        if ((size_t)n > max - buf->len) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "%s: larger than %zu bytes",
                        path, max);
            close(fd);
            return false;
        }
        g_byte_array_append(buf, chunk, (guint)n);
    }
    close(fd);
    *len = buf->len;
    g_byte_array_append(buf, (const guint8 *)"", 1); /* never NULL, even when empty */
    *data = g_byte_array_free(g_steal_pointer(&buf), FALSE);
    return true;
}

/* Reads the property file dir/name of at most max bytes. Returns false with *errp unset
 * when the file does not exist. */
static bool read_prop_file(const char *dir, const char *name, size_t max, guint8 **data,
                           size_t *len, GError **errp)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GError) err = NULL;

    if (read_file_bounded(path, max, data, len, &err)) {
        return true;
    }
    if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
        g_propagate_error(errp, g_steal_pointer(&err));
    }
    return false;
}

/*
 * fdt_check_full() over len bytes, made safe for any input and completed, for two holes of
 * libfdt 1.6.1 (Debian 12) that hostile blobs reach:
 *  - it dereferences a NULL node name when the header's version is 2-15 (fdt_get_name()
 *    fails on a pre-v16 root name without '/'): such blobs (dtc before 2008) are refused
 *    first, -FDT_ERR_BADVERSION;
 *  - a property length of 0xfffffff8-0xffffffff wraps its step to the next tag back into the
 *    property itself, so the tree passes and fdt_getprop() returns a length of -8 to -1:
 *    every property is checked to have a length >= 0 whose bytes lie within len,
 *    -FDT_ERR_BADSTRUCTURE.
 * Returns 0 or a negative libfdt error.
 */
static int fdt_check_untrusted(const void *fdt, size_t len)
{
    int ret, node, prop;

    if (len >= FDT_V1_SIZE && fdt_magic(fdt) == FDT_MAGIC && fdt_version(fdt) < 16) {
        return -FDT_ERR_BADVERSION;
    }
    ret = fdt_check_full(fdt, len);
    if (ret < 0) {
        return ret;
    }
    for (node = 0; node >= 0; node = fdt_next_node(fdt, node, NULL)) {
        fdt_for_each_property_offset(prop, fdt, node) {
            int plen;
            const char *val = fdt_getprop_by_offset(fdt, prop, NULL, &plen);

            if (!val) {
                return plen;
            }
            if (plen < 0 || (size_t)plen > len - (size_t)(val - (const char *)fdt)) {
                return -FDT_ERR_BADSTRUCTURE;
            }
        }
        if (prop != -FDT_ERR_NOTFOUND) {
            return prop;
        }
    }
    return node == -FDT_ERR_NOTFOUND ? 0 : node;
}

/* ---- host_node_load_sysfs ---- */

/* Turns a sequential-write libfdt error into a GError; NOSPACE means the size bound. */
static bool sw_check(int ret, const char *path, GError **errp)
{
    if (ret == -FDT_ERR_NOSPACE) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOSPACE,
                    "%s: the node is larger than %d bytes", path, HOST_NODE_MAX_SIZE);
        return false;
    }
    if (ret < 0) {
        g_set_error(errp, ARMPASS_FDT_ERROR, -ret, "%s: %s", path, fdt_strerror(ret));
        return false;
    }
    return true;
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct SysfsWalk {
    void *fdt;                              /* sequential-write buffer */
    dev_t dev[HOST_NODE_MAX_DEPTH + 1];     /* the folders from the device node down */
    ino_t ino[HOST_NODE_MAX_DEPTH + 1];
} SysfsWalk;

static bool sysfs_add_node(SysfsWalk *w, const char *dir, unsigned depth, GError **errp)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func(g_free);
    const char *entry;
    struct stat st;
    GDir *d;

    if (stat(dir, &st) < 0) {
        int e = errno;
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", dir,
                    g_strerror(e));
        return false;
    }
    for (unsigned i = 0; i < depth; i++) {
        if (w->dev[i] == st.st_dev && w->ino[i] == st.st_ino) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_LOOP,
                        "%s: symlink loop: the folder is its own ancestor", dir);
            return false;
        }
    }
    if (depth > HOST_NODE_MAX_DEPTH) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADSTRUCTURE,
                    "%s: child nodes nested deeper than %d levels", dir, HOST_NODE_MAX_DEPTH);
        return false;
    }
    w->dev[depth] = st.st_dev;
    w->ino[depth] = st.st_ino;

    d = g_dir_open(dir, 0, errp);
    if (!d) {
        return false;
    }
    while ((entry = g_dir_read_name(d))) {
        g_ptr_array_add(names, g_strdup(entry));
    }
    g_dir_close(d);
    /* readdir order is the file system's: sort for a reproducible blob. */
    g_ptr_array_sort(names, compare_strings);

    /* Properties first (the blob format wants them before child nodes). */
    for (unsigned i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree guint8 *val = NULL;
        size_t len;

        if (stat(path, &st) < 0) {
            int e = errno;
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                        g_strerror(e));
            return false;
        }
        if (S_ISDIR(st.st_mode)) {
            g_ptr_array_add(children, g_strdup(name));
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: neither a property file nor a node folder", path);
            return false;
        }
        if (!strcmp(name, "name") || !strcmp(name, HOST_NODE_NAME_PROP)) {
            continue;
        }
        if (!read_file_bounded(path, HOST_NODE_MAX_SIZE, &val, &len, errp) ||
            !sw_check(fdt_property(w->fdt, name, val, (int)len), path, errp)) {
            return false;
        }
    }
    for (unsigned i = 0; i < children->len; i++) {
        const char *name = g_ptr_array_index(children, i);
        g_autofree char *path = g_build_filename(dir, name, NULL);

        if (!sw_check(fdt_begin_node(w->fdt, name), path, errp) ||
            !sysfs_add_node(w, path, depth + 1, errp) ||
            !sw_check(fdt_end_node(w->fdt), path, errp)) {
            return false;
        }
    }
    return true;
}

/* Finishes a sequential-write blob: packs it, checks it and trims the buffer. */
static void *sw_finish(void *fdt, const char *path, GError **errp)
{
    int ret;

    if (!sw_check(fdt_finish(fdt), path, errp)) {
        g_free(fdt);
        return NULL;
    }
    ret = fdt_check_full(fdt, fdt_totalsize(fdt));
    if (ret < 0) {
        g_set_error(errp, ARMPASS_FDT_ERROR, -ret, "%s: the imported node is invalid: %s",
                    path, fdt_strerror(ret));
        g_free(fdt);
        return NULL;
    }
    return g_realloc(fdt, fdt_totalsize(fdt));
}

void *host_node_load_sysfs(const char *of_node_dir, GError **errp)
{
    g_autofree char *real = NULL;
    g_autofree char *node_name = NULL;
    g_autofree SysfsWalk *w = g_new0(SysfsWalk, 1);
    g_autofree void *fdt = NULL;
    struct stat st;

    if (stat(of_node_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "%s: no such folder: the device has no device-tree node; "
                    "describe it with dt-node=FILE", of_node_dir);
        return NULL;
    }
    real = realpath(of_node_dir, NULL);
    if (!real) {
        int e = errno;
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", of_node_dir,
                    g_strerror(e));
        return NULL;
    }
    node_name = g_path_get_basename(real);

    fdt = g_malloc0(HOST_NODE_MAX_SIZE);
    w->fdt = fdt;
    if (!sw_check(fdt_create(fdt, HOST_NODE_MAX_SIZE), of_node_dir, errp) ||
        !sw_check(fdt_finish_reservemap(fdt), of_node_dir, errp) ||
        !sw_check(fdt_begin_node(fdt, ""), of_node_dir, errp) ||
        !sw_check(fdt_property_string(fdt, HOST_NODE_NAME_PROP, node_name), of_node_dir,
                  errp) ||
        !sysfs_add_node(w, real, 0, errp) ||
        !sw_check(fdt_end_node(fdt), of_node_dir, errp)) {
        return NULL;
    }
    return sw_finish(g_steal_pointer(&fdt), of_node_dir, errp);
}

/* ---- host_node_load_file ---- */

/* Copies node (properties and children, at most HOST_NODE_MAX_DEPTH deep) of src into the
 * sequential-write blob dst, inside the node dst has open. */
static bool sw_copy_node(const void *src, int node, void *dst, unsigned depth,
                         const char *path, GError **errp)
{
    int prop, child;

    if (depth > HOST_NODE_MAX_DEPTH) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADSTRUCTURE,
                    "%s: child nodes nested deeper than %d levels", path, HOST_NODE_MAX_DEPTH);
        return false;
    }
    fdt_for_each_property_offset(prop, src, node) {
        const char *name;
        int len;
        const void *val = fdt_getprop_by_offset(src, prop, &name, &len);
        if (!val) {
            return sw_check(len, path, errp);
        }
        if (!sw_check(fdt_property(dst, name, val, len), path, errp)) {
            return false;
        }
    }
    if (prop != -FDT_ERR_NOTFOUND) {
        return sw_check(prop, path, errp);
    }
    fdt_for_each_subnode(child, src, node) {
        if (!sw_check(fdt_begin_node(dst, fdt_get_name(src, child, NULL)), path, errp) ||
            !sw_copy_node(src, child, dst, depth + 1, path, errp) ||
            !sw_check(fdt_end_node(dst), path, errp)) {
            return false;
        }
    }
    if (child != -FDT_ERR_NOTFOUND) {
        return sw_check(child, path, errp);
    }
    return true;
}

/* Compiles device-tree source with dtc; returns the .dtb's bytes. */
static guint8 *dtc_compile(const char *path, size_t *len, GError **errp)
{
    g_autofree char *tmpdir = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err_text = NULL;
    g_autoptr(GError) err = NULL;
    guint8 *data = NULL;
    int status = 0;

    tmpdir = g_dir_make_tmp("armpass-dtc-XXXXXX", errp);
    if (!tmpdir) {
        return NULL;
    }
    out = g_build_filename(tmpdir, "node.dtb", NULL);
    {
        /* -q: the warnings a lone node's source draws (no #address-cells above it...). */
        const char *argv[] = { "dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out, "--", path,
                               NULL };
        if (!g_spawn_sync(NULL, (char **)argv, NULL,
                          G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                          &err_text, &status, &err)) {
            if (g_error_matches(err, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT)) {
                g_set_error(errp, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT,
                            "%s: compiling it needs dtc, which is not installed: install "
                            "device-tree-compiler (or give a .dtb)", path);
            } else {
                g_set_error(errp, err->domain, err->code, "%s: cannot run dtc: %s", path,
                            err->message);
            }
            rmdir(tmpdir);
            return NULL;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_auto(GStrv) lines = g_strsplit(err_text ? err_text : "", "\n", -1);
        const char *first = "";
        for (unsigned i = 0; lines[i]; i++) {
            if (*g_strstrip(lines[i])) {
                first = lines[i];
                break;
            }
        }
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE, "%s: dtc failed: %s", path,
                    *first ? first : "no message");
        unlink(out);
        rmdir(tmpdir);
        return NULL;
    }
    read_file_bounded(out, HOST_NODE_MAX_SIZE, &data, len, errp);
    unlink(out);
    rmdir(tmpdir);
    return data;
}

void *host_node_load_file(const char *path, GError **errp)
{
    g_autofree guint8 *data = NULL;
    size_t len;

    if (!read_file_bounded(path, HOST_NODE_MAX_SIZE, &data, &len, errp)) {
        return NULL;
    }
    if (len < sizeof(fdt32_t) || cell_at(data, 0) != FDT_MAGIC) {
        g_autofree guint8 *dtb = dtc_compile(path, &len, errp);
        if (!dtb) {
            return NULL;
        }
        g_free(data);
        data = g_steal_pointer(&dtb);
    }
    return host_node_load_blob(data, len, path, errp);
}

void *host_node_load_blob(const void *data, size_t len, const char *path, GError **errp)
{
    g_autofree void *fdt = NULL;
    const char *child_name = NULL;
    int node = 0, ret;

    if (len > HOST_NODE_MAX_SIZE) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOSPACE,
                    "%s: larger than %d bytes", path, HOST_NODE_MAX_SIZE);
        return NULL;
    }
    ret = fdt_check_untrusted(data, len);
    if (ret < 0) {
        g_set_error(errp, ARMPASS_FDT_ERROR, -ret, "%s: not a valid device tree blob: %s",
                    path, fdt_strerror(ret));
        return NULL;
    }
    if (!fdt_getprop(data, 0, "compatible", NULL)) {
        int child, nr = 0;
        fdt_for_each_subnode(child, data, 0) {
            node = child;
            nr++;
        }
        if (nr != 1) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                        "%s: no device node: the root has no compatible and %d child nodes "
                        "(want the device as the root or as its only child)", path, nr);
            return NULL;
        }
        child_name = fdt_get_name(data, node, NULL);
    }

    fdt = g_malloc0(HOST_NODE_MAX_SIZE);
    if (!sw_check(fdt_create(fdt, HOST_NODE_MAX_SIZE), path, errp) ||
        !sw_check(fdt_finish_reservemap(fdt), path, errp) ||
        !sw_check(fdt_begin_node(fdt, ""), path, errp)) {
        return NULL;
    }
    /* (unless the node names itself the same way) */
    if (child_name && !fdt_getprop(data, node, HOST_NODE_NAME_PROP, NULL) &&
        !sw_check(fdt_property_string(fdt, HOST_NODE_NAME_PROP, child_name), path, errp)) {
        return NULL;
    }
    if (!sw_copy_node(data, node, fdt, 0, path, errp) ||
        !sw_check(fdt_end_node(fdt), path, errp)) {
        return NULL;
    }
    return sw_finish(g_steal_pointer(&fdt), path, errp);
}

/* ---- host_dt_clock_rate ---- */

typedef struct PhandleWalk {
    uint32_t phandle;
    unsigned nodes;
    char *found;
} PhandleWalk;

static bool node_dir_phandle(const char *dir, uint32_t *phandle)
{
    static const char *const names[] = { "phandle", "linux,phandle" };

    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree guint8 *val = NULL;
        size_t len;
        if (read_prop_file(dir, names[i], 4, &val, &len, NULL) && len == 4) {
            *phandle = cell_at(val, 0);
            return true;
        }
    }
    return false;
}

static void phandle_walk(PhandleWalk *w, const char *dir, unsigned depth)
{
    uint32_t ph;
    const char *entry;
    GDir *d;

    if (w->found || depth > HOST_DT_WALK_MAX_DEPTH || ++w->nodes > HOST_DT_WALK_MAX_NODES) {
        return;
    }
    if (node_dir_phandle(dir, &ph) && ph == w->phandle) {
        w->found = g_strdup(dir);
        return;
    }
    d = g_dir_open(dir, 0, NULL);
    if (!d) {
        return;
    }
    while (!w->found && (entry = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, entry, NULL);
        struct stat st;
        /* lstat: symlinks are not followed, so the walk cannot loop. */
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            phandle_walk(w, path, depth + 1);
        }
    }
    g_dir_close(d);
}

/* The folder of the host node with that phandle under base (g_free it). */
static char *host_dt_find_phandle(const char *base, uint32_t phandle, GError **errp)
{
    PhandleWalk w = { .phandle = phandle };
    struct stat st;

    if (stat(base, &st) < 0 || !S_ISDIR(st.st_mode)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "host device tree %s: no such folder", base);
        return NULL;
    }
    phandle_walk(&w, base, 0);
    if (!w.found) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                    "no node with phandle 0x%" PRIx32 " under %s", phandle, base);
    }
    return w.found;
}

/* Reads clock-frequency of the host node folder dir, without the clock-rate= hint. */
static bool host_dir_clock_rate(const char *dir, uint32_t *hz, GError **errp)
{
    g_autofree guint8 *val = NULL;
    g_autoptr(GError) err = NULL;
    uint64_t rate;
    size_t len;

    if (!read_prop_file(dir, "clock-frequency", 8, &val, &len, &err)) {
        if (err) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                        "host clock %s: %s", dir, err->message);
        } else {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                        "host clock %s has no clock-frequency", dir);
        }
        return false;
    }
    if (len == 4) {
        rate = cell_at(val, 0);
    } else if (len == 8) {
        rate = ((uint64_t)cell_at(val, 0) << 32) | cell_at(val, 1);
    } else {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                    "host clock %s: clock-frequency is %zu bytes, not 4 or 8", dir, len);
        return false;
    }
    if (rate == 0 || rate > UINT32_MAX) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                    "host clock %s: clock-frequency %" PRIu64 " Hz is out of range", dir,
                    rate);
        return false;
    }
    *hz = (uint32_t)rate;
    return true;
}

bool host_dt_clock_rate(const char *dt_base_dir, uint32_t phandle, uint32_t *hz, GError **errp)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = host_dt_find_phandle(dt_base_dir, phandle, &err);

    if (!dir || !host_dir_clock_rate(dir, hz, &err)) {
        g_set_error(errp, err->domain, err->code, "%s; give the rate with clock-rate=HZ",
                    err->message);
        return false;
    }
    return true;
}

/* ---- sysbus_fdt_add_node ---- */

typedef struct GuestClock {
    char *node_name;
    uint32_t rate;    /* Hz */
    uint32_t phandle; /* assigned when emitted */
} GuestClock;

static void guest_clock_free(gpointer p)
{
    GuestClock *gc = p;
    g_free(gc->node_name);
    g_free(gc);
}

/* A host clock provider as found under dt_base_dir. */
typedef struct HostClockProvider {
    char *dir;        /* NULL: not found (why in err) */
    GError *err;
    uint32_t cells;   /* #clock-cells; 0 when not found */
} HostClockProvider;

static void host_clock_provider_free(gpointer p)
{
    HostClockProvider *hp = p;
    g_free(hp->dir);
    g_clear_error(&hp->err);
    g_free(hp);
}

/* Everything about the node, decided before the guest tree is touched. */
typedef struct NodePlan {
    const SysbusFdtSpec *spec;
    MachineState *ms;
    const void *host;          /* the host node blob (its root) or NULL */
    unsigned addr_cells, size_cells; /* of the guest root */
    char *node_name;           /* "pl031@c000000" */
    char *clk_prefix;          /* "pl031-c000000", for guest clock node names */
    GByteArray *compatible;    /* final value */
    bool set_clocks;           /* write clocks from clock_refs */
    GArray *clock_refs;        /* int: index into guest_clocks, or CLOCK_REF_BOARD */
    GByteArray *clock_names;   /* final value; NULL: the host's as it is */
    GPtrArray *guest_clocks;   /* GuestClock *, to create */
    GPtrArray *dropped;        /* char * */
    uint32_t max_user_phandle; /* user_node: highest phandle inside; 0: none */
    GHashTable *user_phandles; /* user_node: every phandle inside (a set) */
} NodePlan;

static void node_plan_clear(NodePlan *p)
{
    g_free(p->node_name);
    g_free(p->clk_prefix);
    if (p->compatible) {
        g_byte_array_unref(p->compatible);
    }
    if (p->clock_refs) {
        g_array_unref(p->clock_refs);
    }
    if (p->clock_names) {
        g_byte_array_unref(p->clock_names);
    }
    if (p->guest_clocks) {
        g_ptr_array_unref(p->guest_clocks);
    }
    if (p->dropped) {
        g_ptr_array_unref(p->dropped);
    }
    if (p->user_phandles) {
        g_hash_table_unref(p->user_phandles);
    }
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NodePlan, node_plan_clear)

/* The host node's property name (as fdt_getprop() gives it), or NULL without a host node. */
static const void *host_prop(const NodePlan *p, const char *name, int *len)
{
    return p->host ? fdt_getprop(p->host, 0, name, len) : NULL;
}

/* Checks a host cell-list property is whole 32-bit cells; sets *nr_cells (0: absent). */
static bool host_cells(const NodePlan *p, const char *name, unsigned *nr_cells, GError **errp)
{
    int len = 0;

    *nr_cells = 0;
    if (!host_prop(p, name, &len)) {
        return true;
    }
    if (len % 4) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                    "host %s property is %d bytes, not whole 32-bit cells", name, len);
        return false;
    }
    *nr_cells = (unsigned)len / 4;
    return true;
}

/* Number of strings in a host string-list property, -1 if absent; errors if malformed. */
static bool host_stringlist_count(const NodePlan *p, const char *name, int *count,
                                  GError **errp)
{
    *count = -1;
    if (!host_prop(p, name, NULL)) {
        return true;
    }
    *count = fdt_stringlist_count(p->host, 0, name);
    if (*count < 0) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                    "host %s property is not a list of NUL-terminated strings", name);
        return false;
    }
    return true;
}

static bool plan_guest_root(NodePlan *p, const void *fdt, GError **errp)
{
    static const char *const names[] = { "#address-cells", "#size-cells" };
    unsigned *cells[] = { &p->addr_cells, &p->size_cells };
    const unsigned defaults[] = { 2, 1 }; /* Devicetree Specification 2.3.5 */

    for (unsigned i = 0; i < 2; i++) {
        int len;
        const void *val = fdt_getprop(fdt, 0, names[i], &len);
        *cells[i] = defaults[i];
        if (val && len == 4) {
            *cells[i] = cell_at(val, 0);
        } else if (val) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADNCELLS,
                        "guest root %s is %d bytes, not one cell", names[i], len);
            return false;
        }
        if (*cells[i] != 1 && *cells[i] != 2) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADNCELLS,
                        "guest root %s is %u: only 1 or 2 is supported", names[i], *cells[i]);
            return false;
        }
    }
    for (unsigned i = 0; i < p->spec->nr_regs; i++) {
        const SysbusFdtReg *r = &p->spec->regs[i];
        if ((p->addr_cells == 1 && r->base > UINT32_MAX) ||
            (p->size_cells == 1 && r->size > UINT32_MAX)) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                        "region 0x%" PRIx64 "+0x%" PRIx64 " does not fit the guest root's "
                        "#address-cells/#size-cells", r->base, r->size);
            return false;
        }
    }
    return true;
}

static bool plan_compatible(NodePlan *p, GError **errp)
{
    const SysbusFdtSpec *s = p->spec;
    int count;

    p->compatible = g_byte_array_new();
    if (s->compatible) {
        if (!s->compatible[0]) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE, "compatible= is empty");
            return false;
        }
        for (unsigned i = 0; s->compatible[i]; i++) {
            byte_array_append_str(p->compatible, s->compatible[i]);
        }
    } else {
        int len;
        const void *val;
        if (!host_stringlist_count(p, "compatible", &count, errp)) {
            return false;
        }
        if (count <= 0) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                        "%s: give compatible=",
                        p->host ? "the host node has no compatible" : "no device-tree node");
            return false;
        }
        val = host_prop(p, "compatible", &len);
        g_byte_array_append(p->compatible, val, (guint)len);
    }
    if (s->amba &&
        !stringlist_contains(p->compatible->data, p->compatible->len, "arm,primecell")) {
        byte_array_append_str(p->compatible, "arm,primecell");
    }
    return true;
}

/* Node names take [A-Za-z0-9,._+-] (Devicetree Specification 2.2.1). */
static char *node_name_sanitize(const char *s, size_t n)
{
    char *out = g_strndup(s, n);
    for (char *c = out; *c; c++) {
        if (!g_ascii_isalnum(*c) && !strchr(",._+-", *c)) {
            *c = '-';
        }
    }
    return out;
}

static bool plan_names(NodePlan *p, GError **errp)
{
    const SysbusFdtSpec *s = p->spec;
    g_autofree char *base = NULL;
    int len;
    const char *host_name = host_prop(p, HOST_NODE_NAME_PROP, &len);

    if (host_name && (len < 1 || host_name[len - 1] || strlen(host_name) != (size_t)len - 1)) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                    "host %s is not a string", HOST_NODE_NAME_PROP);
        return false;
    }
    if (host_name && *host_name && *host_name != '@') {
        base = node_name_sanitize(host_name, strcspn(host_name, "@"));
    } else {
        /* "arm,pl031" -> "pl031" */
        const char *first = (const char *)p->compatible->data;
        const char *comma = strchr(first, ',');
        const char *part = comma && comma[1] ? comma + 1 : first;
        base = node_name_sanitize(part, strlen(part));
    }
    if (!*base) {
        g_free(base);
        base = g_strdup("device");
    }
    if (s->nr_regs) {
        p->node_name = g_strdup_printf("%s@%" PRIx64, base, s->regs[0].base);
        p->clk_prefix = g_strdup_printf("%s-%" PRIx64, base, s->regs[0].base);
    } else {
        p->node_name = g_strdup(base);
        p->clk_prefix = g_strdup(base);
    }
    return true;
}

static int plan_add_guest_clock(NodePlan *p, const char *suffix, uint32_t rate)
{
    GuestClock *gc = g_new0(GuestClock, 1);
    gc->node_name = g_strdup_printf("%s-%s", p->clk_prefix, suffix);
    gc->rate = rate;
    g_ptr_array_add(p->guest_clocks, gc);
    return (int)p->guest_clocks->len - 1;
}

static HostClockProvider *plan_provider(NodePlan *p, GHashTable *providers, uint32_t phandle,
                                        GError **errp)
{
    HostClockProvider *hp = g_hash_table_lookup(providers, GUINT_TO_POINTER(phandle));
    g_autofree guint8 *val = NULL;
    g_autoptr(GError) err = NULL;
    size_t len;

    if (hp) {
        return hp;
    }
    hp = g_new0(HostClockProvider, 1);
    g_hash_table_insert(providers, GUINT_TO_POINTER(phandle), hp);
    if (!p->spec->dt_base_dir) {
        g_set_error(&hp->err, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                    "no host device tree to read it from");
        return hp;
    }
    hp->dir = host_dt_find_phandle(p->spec->dt_base_dir, phandle, &hp->err);
    if (!hp->dir) {
        return hp; /* assume #clock-cells 0 */
    }
    if (read_prop_file(hp->dir, "#clock-cells", 4, &val, &len, &err)) {
        if (len != 4) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADNCELLS,
                        "host clock %s: #clock-cells is %zu bytes, not one cell", hp->dir, len);
            return NULL;
        }
        hp->cells = cell_at(val, 0);
    } else if (err) {
        g_propagate_error(errp, g_steal_pointer(&err));
        return NULL;
    }
    if (hp->cells > CLOCK_CELLS_MAX) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADNCELLS,
                    "host clock %s: #clock-cells %" PRIu32 " is above %d", hp->dir, hp->cells,
                    CLOCK_CELLS_MAX);
        return NULL;
    }
    return hp;
}

/* Host clocks -> one guest fixed clock per distinct specifier. */
static bool plan_host_clocks(NodePlan *p, GError **errp)
{
    const SysbusFdtSpec *s = p->spec;
    g_autoptr(GHashTable) providers = g_hash_table_new_full(NULL, NULL, NULL,
                                                            host_clock_provider_free);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const void *val;
    unsigned n, i = 0, idx = 0;

    if (!host_cells(p, "clocks", &n, errp)) {
        return false;
    }
    val = host_prop(p, "clocks", NULL);
    p->set_clocks = val != NULL;
    while (i < n) {
        uint32_t ph = cell_at(val, i);
        HostClockProvider *hp;
        g_autoptr(GString) key = g_string_new(NULL);
        gpointer found;
        int ref;

        if (ph == 0 || ph == UINT32_MAX) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADPHANDLE,
                        "clock %u of the host clocks has no provider (phandle 0x%" PRIx32 ")",
                        idx, ph);
            return false;
        }
        hp = plan_provider(p, providers, ph, errp);
        if (!hp) {
            return false;
        }
        if (hp->cells > n - i - 1) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                        "clock %u of the host clocks is truncated: provider 0x%" PRIx32
                        " takes %" PRIu32 " argument cells, %u are left", idx, ph, hp->cells,
                        n - i - 1);
            return false;
        }
        for (unsigned c = 0; c <= hp->cells; c++) {
            g_string_append_printf(key, "%" PRIx32 ",", cell_at(val, i + c));
        }
        if (g_hash_table_lookup_extended(seen, key->str, NULL, &found)) {
            ref = GPOINTER_TO_INT(found);
        } else {
            g_autofree char *suffix = g_strdup_printf("clk%u", p->guest_clocks->len);
            uint32_t rate = s->clock_rate;
            if (!rate && hp->cells) {
                g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                            "clock %u (host phandle 0x%" PRIx32 ") is one output of a "
                            "provider with #clock-cells %" PRIu32 ", whose rate is not in the "
                            "device tree; give it with clock-rate=HZ", idx, ph, hp->cells);
                return false;
            }
            if (!rate) {
                g_autoptr(GError) rerr = NULL;
                if (!hp->dir) {
                    rerr = g_error_copy(hp->err);
                } else {
                    host_dir_clock_rate(hp->dir, &rate, &rerr);
                }
                if (rerr) {
                    g_set_error(errp, rerr->domain, rerr->code,
                                "rate of clock %u (host phandle 0x%" PRIx32 "): %s; give it "
                                "with clock-rate=HZ", idx, ph, rerr->message);
                    return false;
                }
            }
            ref = plan_add_guest_clock(p, suffix, rate);
            g_hash_table_insert(seen, g_strdup(key->str), GINT_TO_POINTER(ref));
        }
        g_array_append_val(p->clock_refs, ref);
        i += 1 + hp->cells;
        idx++;
    }
    return true;
}

/* The apb_pclk of an AMBA device without one: the board's, or its own at clock_rate. */
static bool plan_apb_pclk_ref(NodePlan *p, int *ref, GError **errp)
{
    if (p->spec->clock_rate) {
        *ref = plan_add_guest_clock(p, "apb-pclk", p->spec->clock_rate);
        return true;
    }
    if (!p->ms->apb_pclk_phandle) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                    "AMBA device needs apb_pclk but the machine has no apb-pclk clock");
        return false;
    }
    *ref = CLOCK_REF_BOARD;
    return true;
}

/* AMBA devices need a clock named apb_pclk (arm/primecell.yaml; Linux's amba bus gets it). */
static bool plan_amba_clocks(NodePlan *p, GError **errp)
{
    unsigned nr_clocks = p->clock_refs->len;
    int nr_names, len, ref;
    const void *names;

    if (!p->spec->amba) {
        return true;
    }
    if (p->spec->user_node) {
        if (host_prop(p, "clocks", NULL)) {
            return true; /* the user's own clocks, as they are */
        }
        nr_clocks = 0;
    }
    if (nr_clocks == 0) {
        if (!plan_apb_pclk_ref(p, &ref, errp)) {
            return false;
        }
        g_array_set_size(p->clock_refs, 0);
        g_array_append_val(p->clock_refs, ref);
        p->set_clocks = true;
        p->clock_names = g_byte_array_new();
        byte_array_append_str(p->clock_names, "apb_pclk");
        return true;
    }
    if (!host_stringlist_count(p, "clock-names", &nr_names, errp)) {
        return false;
    }
    names = host_prop(p, "clock-names", &len);
    if (nr_names > 0 && stringlist_contains(names, (size_t)len, "apb_pclk")) {
        return true;
    }
    if (nr_names < 0 && nr_clocks == 1) {
        p->clock_names = g_byte_array_new();
        byte_array_append_str(p->clock_names, "apb_pclk");
        return true;
    }
    if (nr_names >= 0 && (unsigned)nr_names == nr_clocks) {
        if (!plan_apb_pclk_ref(p, &ref, errp)) {
            return false;
        }
        g_array_append_val(p->clock_refs, ref);
        p->clock_names = g_byte_array_new();
        g_byte_array_append(p->clock_names, names, (guint)len);
        byte_array_append_str(p->clock_names, "apb_pclk");
        return true;
    }
    g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                "AMBA device needs an apb_pclk clock, but the host has %u clocks and %d "
                "clock-names without it; describe the node with dt-node=FILE", nr_clocks,
                nr_names < 0 ? 0 : nr_names);
    return false;
}

typedef enum PropAction {
    PROP_COPY,    /* the host's value */
    PROP_REPLACE, /* the planned value, if any, at the host's position */
    PROP_DROP,    /* gone, and reported */
    PROP_SKIP,    /* gone silently (armpass's own bookkeeping) */
} PropAction;

static PropAction prop_action(const NodePlan *p, const char *name)
{
    const SysbusFdtSpec *s = p->spec;
    int count;

    if (!strcmp(name, HOST_NODE_NAME_PROP) || !strcmp(name, "name")) {
        return PROP_SKIP;
    }
    if (!strcmp(name, "reg") || !strcmp(name, "compatible") ||
        !strcmp(name, "interrupt-parent")) {
        return PROP_REPLACE;
    }
    if (!strcmp(name, "interrupts")) {
        return s->nr_irqs ? PROP_REPLACE : PROP_DROP;
    }
    if (!strcmp(name, "interrupts-extended")) {
        return PROP_DROP; /* it would win over interrupts */
    }
    if ((!strcmp(name, "arm,primecell-periphid") && s->has_periphid) ||
        (!strcmp(name, "clocks") && p->set_clocks) ||
        (!strcmp(name, "clock-names") && p->clock_names)) {
        return PROP_REPLACE;
    }
    if (s->user_node) {
        return PROP_COPY;
    }
    if (!strcmp(name, "status")) {
        return PROP_REPLACE;
    }
    if (!strcmp(name, "interrupt-names") || !strcmp(name, "reg-names")) {
        unsigned want = name[0] == 'i' ? s->nr_irqs : s->nr_regs;
        count = fdt_stringlist_count(p->host, 0, name);
        return count >= 0 && (unsigned)count == want ? PROP_COPY : PROP_DROP;
    }
    return prop_in_drop_table(name) ? PROP_DROP : PROP_COPY;
}

/* user_node: its phandles must be free in the guest tree and each name one node; remembers
 * the highest. */
static bool plan_user_phandles(NodePlan *p, const void *fdt, int node, unsigned depth,
                               GError **errp)
{
    static const char *const names[] = { "phandle", "linux,phandle" };
    uint32_t mine = 0; /* this node's phandle, which linux,phandle may repeat */
    int child;

    if (depth > HOST_NODE_MAX_DEPTH) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADSTRUCTURE,
                    "dt-node nested deeper than %d levels", HOST_NODE_MAX_DEPTH);
        return false;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        int len;
        const void *val = fdt_getprop(p->host, node, names[i], &len);
        uint32_t ph;
        if (!val) {
            continue;
        }
        ph = len == 4 ? cell_at(val, 0) : 0;
        if (ph == 0 || ph == UINT32_MAX) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADPHANDLE,
                        "dt-node: %s of node %s is not a valid phandle", names[i],
                        depth ? fdt_get_name(p->host, node, NULL) : "(device)");
            return false;
        }
        if (fdt_node_offset_by_phandle(fdt, ph) >= 0) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADPHANDLE,
                        "dt-node: phandle 0x%" PRIx32 " is already used in the guest tree",
                        ph);
            return false;
        }
        if (!p->user_phandles) {
            p->user_phandles = g_hash_table_new(NULL, NULL);
        }
        if (ph != mine && !g_hash_table_add(p->user_phandles, GUINT_TO_POINTER(ph))) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADPHANDLE,
                        "dt-node: phandle 0x%" PRIx32 " is given to two nodes", ph);
            return false;
        }
        mine = ph;
        p->max_user_phandle = MAX(p->max_user_phandle, ph);
    }
    fdt_for_each_subnode(child, p->host, node) {
        if (!plan_user_phandles(p, fdt, child, depth + 1, errp)) {
            return false;
        }
    }
    return true;
}

/* The nodes to add must not exist yet (each guest base address takes one device). */
static bool plan_check_names(const NodePlan *p, const void *fdt, GError **errp)
{
    for (int i = -1; i < (int)p->guest_clocks->len; i++) {
        const GuestClock *gc = i < 0 ? NULL : g_ptr_array_index(p->guest_clocks, i);
        const char *name = gc ? gc->node_name : p->node_name;
        if (fdt_subnode_offset(fdt, 0, name) >= 0) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_EXISTS,
                        "the guest tree already has a node %s", name);
            return false;
        }
    }
    return true;
}

static bool node_plan(NodePlan *p, const void *fdt, GError **errp)
{
    const SysbusFdtSpec *s = p->spec;
    unsigned n;
    int prop, child;

    p->clock_refs = g_array_new(FALSE, FALSE, sizeof(int));
    p->guest_clocks = g_ptr_array_new_with_free_func(guest_clock_free);
    p->dropped = g_ptr_array_new_with_free_func(g_free);

    if (p->host) {
        int ret = fdt_check_untrusted(p->host, fdt_totalsize(p->host));
        if (ret < 0) {
            g_set_error(errp, ARMPASS_FDT_ERROR, -ret, "the host node blob is invalid: %s",
                        fdt_strerror(ret));
            return false;
        }
        if (!host_cells(p, "reg", &n, errp) || !host_cells(p, "interrupts", &n, errp)) {
            return false;
        }
    }
    if (s->nr_irqs && !p->ms->gic_phandle) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADPHANDLE,
                    "the machine has no interrupt controller phandle");
        return false;
    }
    if (!plan_guest_root(p, fdt, errp) || !plan_compatible(p, errp) || !plan_names(p, errp)) {
        return false;
    }
    if (s->user_node && p->host) {
        if (!plan_user_phandles(p, fdt, 0, 0, errp)) {
            return false;
        }
    } else if (!plan_host_clocks(p, errp)) {
        return false;
    }
    if (!plan_amba_clocks(p, errp)) {
        return false;
    }
    /* A user node's phandles are followed by its guest clocks' and must leave a valid one
     * (0xffffffff is not) for what comes next. */
    if (p->max_user_phandle > UINT32_MAX - 2 - p->guest_clocks->len) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADPHANDLE,
                    "dt-node: phandle 0x%" PRIx32 " leaves no phandle for the nodes armpass "
                    "adds after it (use smaller phandles)", p->max_user_phandle);
        return false;
    }
    if (!plan_check_names(p, fdt, errp)) {
        return false;
    }
    if (!p->host) {
        return true;
    }
    fdt_for_each_property_offset(prop, p->host, 0) {
        const char *name;
        fdt_getprop_by_offset(p->host, prop, &name, NULL);
        if (prop_action(p, name) == PROP_DROP) {
            g_ptr_array_add(p->dropped, g_strdup(name));
        }
    }
    if (!s->user_node) {
        fdt_for_each_subnode(child, p->host, 0) {
            g_ptr_array_add(p->dropped,
                            g_strdup_printf("node %s", fdt_get_name(p->host, child, NULL)));
        }
    }
    return true;
}

/* ---- emitting ---- */

typedef struct FinalProp {
    const char *name;
    GByteArray *val;
    bool written;
} FinalProp;

static void final_prop_clear(gpointer data)
{
    FinalProp *f = data;
    g_byte_array_unref(f->val);
}

static void final_add(GArray *finals, const char *name, GByteArray *val)
{
    FinalProp f = { .name = name, .val = val };
    g_array_append_val(finals, f);
}

static GArray *node_finals(const NodePlan *p)
{
    const SysbusFdtSpec *s = p->spec;
    GArray *finals = g_array_new(FALSE, TRUE, sizeof(FinalProp));
    GByteArray *v;

    g_array_set_clear_func(finals, final_prop_clear);
    final_add(finals, "compatible", g_byte_array_ref(p->compatible));
    if (s->nr_regs) {
        v = g_byte_array_new();
        for (unsigned i = 0; i < s->nr_regs; i++) {
            if (p->addr_cells == 2) {
                byte_array_append_u32(v, (uint32_t)(s->regs[i].base >> 32));
            }
            byte_array_append_u32(v, (uint32_t)s->regs[i].base);
            if (p->size_cells == 2) {
                byte_array_append_u32(v, (uint32_t)(s->regs[i].size >> 32));
            }
            byte_array_append_u32(v, (uint32_t)s->regs[i].size);
        }
        final_add(finals, "reg", v);
    }
    if (s->nr_irqs) {
        v = g_byte_array_new();
        for (unsigned i = 0; i < s->nr_irqs; i++) {
            byte_array_append_u32(v, GIC_FDT_IRQ_TYPE_SPI);
            byte_array_append_u32(v, s->irqs[i].spi);
            byte_array_append_u32(v, s->irqs[i].edge ? FDT_IRQ_TYPE_EDGE_RISING
                                                     : FDT_IRQ_TYPE_LEVEL_HIGH);
        }
        final_add(finals, "interrupts", v);
        v = g_byte_array_new();
        byte_array_append_u32(v, p->ms->gic_phandle);
        final_add(finals, "interrupt-parent", v);
    }
    if (p->set_clocks && p->clock_refs->len) {
        v = g_byte_array_new();
        for (unsigned i = 0; i < p->clock_refs->len; i++) {
            int ref = g_array_index(p->clock_refs, int, i);
            const GuestClock *gc = ref >= 0 ? g_ptr_array_index(p->guest_clocks, ref) : NULL;
            byte_array_append_u32(v, gc ? gc->phandle : p->ms->apb_pclk_phandle);
        }
        final_add(finals, "clocks", v);
    }
    if (p->clock_names) {
        final_add(finals, "clock-names", g_byte_array_ref(p->clock_names));
    }
    if (s->has_periphid) {
        v = g_byte_array_new();
        byte_array_append_u32(v, s->periphid);
        final_add(finals, "arm,primecell-periphid", v);
    }
    if (!s->user_node && host_prop(p, "status", NULL)) {
        v = g_byte_array_new();
        byte_array_append_str(v, "okay");
        final_add(finals, "status", v);
    }
    return finals;
}

static bool final_write(void *fdt, int node, GArray *finals, const char *name, GError **errp)
{
    for (unsigned i = 0; i < finals->len; i++) {
        FinalProp *f = &g_array_index(finals, FinalProp, i);
        if ((name && strcmp(f->name, name)) || f->written) {
            continue;
        }
        FDT_CHECK(fdt_setprop(fdt, node, f->name, f->val->data, f->val->len));
        f->written = true;
    }
    return true;
}

/* Copies the children of src's node under dst (a read-write tree), in their order. */
static bool rw_copy_children(void *fdt, int dst, const void *src, int node, GError **errp)
{
    g_autoptr(GArray) children = g_array_new(FALSE, FALSE, sizeof(int));
    int child, prop;

    fdt_for_each_subnode(child, src, node) {
        g_array_append_val(children, child);
    }
    /* fdt_add_subnode() makes the new node the first child: add them last to first. */
    for (int i = (int)children->len - 1; i >= 0; i--) {
        int sn = g_array_index(children, int, i), dn;
        FDT_CHECK_OFFSET(dn, fdt_add_subnode(fdt, dst, fdt_get_name(src, sn, NULL)));
        fdt_for_each_property_offset(prop, src, sn) {
            const char *name;
            int len;
            const void *val = fdt_getprop_by_offset(src, prop, &name, &len);
            FDT_CHECK(fdt_setprop(fdt, dn, name, val, len));
        }
        if (!rw_copy_children(fdt, dn, src, sn, errp)) {
            return false;
        }
    }
    return true;
}

static bool node_emit(NodePlan *p, void *fdt, GError **errp)
{
    g_autoptr(GArray) finals = NULL;
    int node, prop;

    /* A user node's phandles go in as they are: what is handed out from now on (the guest
     * clocks first) starts past them. */
    if (p->max_user_phandle >= p->ms->next_phandle) {
        p->ms->next_phandle = p->max_user_phandle + 1;
    }
    for (unsigned i = 0; i < p->guest_clocks->len; i++) {
        GuestClock *gc = g_ptr_array_index(p->guest_clocks, i);
        int cn;

        gc->phandle = machine_new_phandle(p->ms);
        FDT_CHECK_OFFSET(cn, fdt_add_subnode(fdt, 0, gc->node_name));
        FDT_CHECK(fdt_setprop_string(fdt, cn, "compatible", "fixed-clock"));
        FDT_CHECK(fdt_setprop_u32(fdt, cn, "#clock-cells", 0));
        FDT_CHECK(fdt_setprop_u32(fdt, cn, "clock-frequency", gc->rate));
        FDT_CHECK(fdt_setprop_u32(fdt, cn, "phandle", gc->phandle));
    }
    finals = node_finals(p);
    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, p->node_name));
    if (p->host) {
        fdt_for_each_property_offset(prop, p->host, 0) {
            const char *name;
            int len;
            const void *val = fdt_getprop_by_offset(p->host, prop, &name, &len);

            switch (prop_action(p, name)) {
            case PROP_COPY:
                FDT_CHECK(fdt_setprop(fdt, node, name, val, len));
                break;
            case PROP_REPLACE:
                if (!final_write(fdt, node, finals, name, errp)) {
                    return false;
                }
                break;
            case PROP_DROP:
            case PROP_SKIP:
                break;
            }
        }
    }
    if (!final_write(fdt, node, finals, NULL, errp)) {
        return false;
    }
    if (p->spec->user_node && p->host) {
        if (!rw_copy_children(fdt, node, p->host, 0, errp)) {
            return false;
        }
    }
    return true;
}

bool sysbus_fdt_add_node(void *fdt, MachineState *ms, const SysbusFdtSpec *spec,
                         GError **errp)
{
    g_auto(NodePlan) plan = { .spec = spec, .ms = ms, .host = spec->host_fdt };
    const char *who = spec->name ? spec->name : "device";

    if (!node_plan(&plan, fdt, errp)) {
        g_prefix_error(errp, "%s: ", who);
        return false;
    }
    if (!node_emit(&plan, fdt, errp)) {
        g_prefix_error(errp, "%s: ", who);
        return false;
    }
    if (spec->dropped) {
        for (unsigned i = 0; i < plan.dropped->len; i++) {
            g_ptr_array_add(spec->dropped, g_strdup(g_ptr_array_index(plan.dropped, i)));
        }
    }
    return true;
}
