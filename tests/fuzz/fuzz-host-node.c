// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-host-node: a host device-tree node read from sysfs (host_node_load_sysfs(), what
 * armpass reads at <device>/of_node for vfio-platform and vfio-amba). The input becomes a
 * small folder tree in a tmpfs folder (/dev/shm, or the temporary directory): a name for
 * the node's folder, then records, each an op byte and its fields:
 *   op % 5 == 0: a property file: a name, a 2-byte length (at most 4 KiB), that many bytes;
 *   1: a child folder (a name), entered;
 *   2: back to the parent folder (nothing at the node's own);
 *   3: a symbolic link (a name, a selector byte): to an earlier entry of the tree (a file or
 *      a folder, the node's folder itself included), by a relative path that stays in the
 *      tree, or with the selector's top bit set, to nothing;
 *   4: a FIFO (a name).
 * A name is a length byte (mod 40) and that many bytes; '/' and NUL become '_', "", "." and
 * ".." become "n". At most 64 entries and 8 links. The loader is given <base>/of_node, a
 * symbolic link to the node's folder, as sysfs has it.
 * Oracles: on success the blob passes fdt_check_full() and fdt_check_untrusted(), holds at
 * most HOST_NODE_MAX_SIZE bytes, and says what the folders say: its root first carries
 * armpass,host-node-name (the folder's name), then each node has, in strcmp order, one
 * property per regular file (but "name" and armpass,host-node-name) with the file's bytes,
 * then one child node per sub-folder (links followed), nothing else; no other kind of file
 * was there. On failure: exactly one error, one line, non-empty, naming a path in the tree.
 * No crash, no sanitizer report, no leak, no glib warning.
 */
#include "fuzz-common.h"
#include "hw/core/fdt.h"
#include "hw/vfio/host-node.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <libfdt.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ENTRIES 64
#define MAX_LINKS 8
#define MAX_FILE 4096

static char *top;  /* this process's folder: <tmpfs>/fuzz-host-node-PID */

typedef struct Input {
    const uint8_t *p;
    size_t n;
} Input;

static uint64_t take(Input *in, size_t bytes)
{
    size_t k = MIN(bytes, in->n);
    uint64_t v = fuzz_ld_le(in->p, k);

    in->p += k;
    in->n -= k;
    return v;
}

static char *take_name(Input *in)
{
    size_t len = take(in, 1) % 40;
    char *name;

    len = MIN(len, in->n);
    name = g_strndup((const char *)in->p, len);
    for (size_t i = 0; i < len; i++) {
        if (in->p[i] == '/' || in->p[i] == '\0') {
            name[i] = '_';
        }
    }
    in->p += len;
    in->n -= len;
    if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
        g_free(name);
        name = g_strdup("n");
    }
    return name;
}

/* rm -rf without following links. */
static void rm_tree(const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0) {
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        GDir *d = g_dir_open(path, 0, NULL);
        const char *e;

        chmod(path, 0700);
        while (d && (e = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(path, e, NULL);
            rm_tree(p);
        }
        if (d) {
            g_dir_close(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Folders of earlier runs that crashed (abort() skips atexit) whose PID is gone. */
static void remove_stale(const char *parent)
{
    GDir *d = g_dir_open(parent, 0, NULL);
    const char *e;

    while (d && (e = g_dir_read_name(d))) {
        char *end = NULL;
        long pid;

        if (!g_str_has_prefix(e, "fuzz-host-node-")) {
            continue;
        }
        pid = strtol(e + strlen("fuzz-host-node-"), &end, 10);
        if (pid > 0 && end && !*end && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
            g_autofree char *p = g_build_filename(parent, e, NULL);
            rm_tree(p);
        }
    }
    if (d) {
        g_dir_close(d);
    }
}

static void cleanup(void)
{
    rm_tree(top);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *parent = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm"
                                                                     : g_get_tmp_dir();

    (void)argc, (void)argv;
    fuzz_glib_init();
    remove_stale(parent);
    top = g_strdup_printf("%s/fuzz-host-node-%ld", parent, (long)getpid());
    rm_tree(top);
    FUZZ_CHECK(g_mkdir(top, 0700) == 0);
    atexit(cleanup);
    return 0;
}

/* ---- The tree from the input ------------------------------------------------------------ */

typedef struct Tree {
    char *base;                  /* top/t: holds the node's folder and of_node */
    GPtrArray *entries;          /* paths relative to base ("R", "R/a", ...) */
    unsigned links;
} Tree;

/* How many components path (relative to base) has. */
static unsigned depth_of(const char *rel)
{
    unsigned n = 1;

    for (const char *p = rel; *p; p++) {
        n += *p == '/';
    }
    return n;
}

static void build(Tree *t, Input *in)
{
    g_autofree char *root = take_name(in);
    g_autofree char *root_path = g_build_filename(t->base, root, NULL);
    g_autofree char *link = g_build_filename(t->base, "of_node", NULL);
    GString *cur = g_string_new(root); /* the current folder, relative to base */

    FUZZ_CHECK(g_mkdir(root_path, 0755) == 0 || !strcmp(root, "of_node"));
    if (strcmp(root, "of_node") != 0) {
        FUZZ_CHECK(symlink(root, link) == 0);
    }
    g_ptr_array_add(t->entries, g_strdup(root));
    while (in->n && t->entries->len < MAX_ENTRIES) {
        uint8_t op = (uint8_t)take(in, 1);
        g_autofree char *name = op % 5 == 2 ? NULL : take_name(in);
        g_autofree char *rel = name ? g_strdup_printf("%s/%s", cur->str, name) : NULL;
        g_autofree char *path = rel ? g_build_filename(t->base, rel, NULL) : NULL;
        bool made = false;

        switch (op % 5) {
        case 0: {
            size_t want = take(in, 2) % (MAX_FILE + 1);
            size_t len = MIN(want, in->n); /* (MIN evaluates its arguments twice) */
            int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

            if (fd >= 0) {
                FUZZ_CHECK(write(fd, in->p, len) == (ssize_t)len);
                close(fd);
                made = true;
            }
            in->p += len;
            in->n -= len;
            break;
        }
        case 1:
            if (g_mkdir(path, 0755) == 0) {
                g_string_assign(cur, rel);
                made = true;
            }
            break;
        case 2: {
            char *slash = strrchr(cur->str, '/');

            if (slash) {
                g_string_truncate(cur, (gsize)(slash - cur->str));
            }
            break;
        }
        case 3: {
            uint8_t sel = (uint8_t)take(in, 1);
            g_autoptr(GString) target = g_string_new(NULL);

            if (t->links >= MAX_LINKS) {
                break;
            }
            if (sel & 0x80) {
                g_string_assign(target, "nowhere");
            } else {
                /* from base/cur: up to base, then down to the entry */
                for (unsigned i = depth_of(cur->str); i > 0; i--) {
                    g_string_append(target, "../");
                }
                g_string_append(target, g_ptr_array_index(t->entries, sel % t->entries->len));
            }
            if (symlink(target->str, path) == 0) {
                t->links++;
                made = true;
            }
            break;
        }
        case 4:
            made = mkfifo(path, 0644) == 0;
            break;
        }
        if (made) {
            g_ptr_array_add(t->entries, g_steal_pointer(&rel));
        }
    }
    g_string_free(cur, TRUE);
}

/* ---- The oracle ------------------------------------------------------------------------- */

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Node node of blob says what folder dir says. */
static void check_node(const void *blob, int node, const char *dir, bool is_root)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) props = g_ptr_array_new();
    g_autoptr(GPtrArray) kids = g_ptr_array_new();
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *e;
    int prop, child;
    unsigned i = 0;

    FUZZ_CHECK(d != NULL);
    while ((e = g_dir_read_name(d))) {
        g_ptr_array_add(names, g_strdup(e));
    }
    g_dir_close(d);
    g_ptr_array_sort(names, cmp_str);
    for (unsigned k = 0; k < names->len; k++) {
        const char *n = g_ptr_array_index(names, k);
        g_autofree char *p = g_build_filename(dir, n, NULL);
        struct stat st;

        FUZZ_CHECK(stat(p, &st) == 0); /* a dangling link would have failed the load */
        if (S_ISDIR(st.st_mode)) {
            g_ptr_array_add(kids, (gpointer)n);
        } else {
            FUZZ_CHECK(S_ISREG(st.st_mode)); /* a FIFO would have failed the load */
            if (strcmp(n, "name") && strcmp(n, HOST_NODE_NAME_PROP)) {
                g_ptr_array_add(props, (gpointer)n);
            }
        }
    }
    fdt_for_each_property_offset(prop, blob, node) {
        const char *pname;
        int len;
        const void *val = fdt_getprop_by_offset(blob, prop, &pname, &len);

        FUZZ_CHECK(val && len >= 0);
        if (is_root && i == 0) {
            /* the node's own name first: the folder's (links resolved) */
            g_autofree char *real = realpath(dir, NULL);
            g_autofree char *base = g_path_get_basename(real);

            FUZZ_CHECK(!strcmp(pname, HOST_NODE_NAME_PROP));
            FUZZ_CHECK((size_t)len == strlen(base) + 1 && !memcmp(val, base, (size_t)len));
            is_root = false;
            continue;
        }
        FUZZ_CHECK(i < props->len);
        {
            const char *want = g_ptr_array_index(props, i);
            g_autofree char *p = g_build_filename(dir, want, NULL);
            g_autofree char *bytes = NULL;
            gsize blen;

            FUZZ_CHECK(!strcmp(pname, want));
            FUZZ_CHECK(g_file_get_contents(p, &bytes, &blen, NULL));
            FUZZ_CHECK(blen == (gsize)len && !memcmp(bytes, val, blen));
        }
        i++;
    }
    FUZZ_CHECK(prop == -FDT_ERR_NOTFOUND);
    FUZZ_CHECK(i == props->len && !is_root);
    i = 0;
    fdt_for_each_subnode(child, blob, node) {
        const char *want;
        g_autofree char *p = NULL;

        FUZZ_CHECK(i < kids->len);
        want = g_ptr_array_index(kids, i);
        FUZZ_CHECK(!strcmp(fdt_get_name(blob, child, NULL), want));
        p = g_build_filename(dir, want, NULL);
        check_node(blob, child, p, false);
        i++;
    }
    FUZZ_CHECK(child == -FDT_ERR_NOTFOUND);
    FUZZ_CHECK(i == kids->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Input in = { data, size };
    Tree t = { .entries = g_ptr_array_new_with_free_func(g_free) };
    g_autofree char *of_node = NULL;
    GError *err = NULL;
    void *blob;

    if (size > 16 * 1024) {
        return 0;
    }
    t.base = g_build_filename(top, "t", NULL);
    rm_tree(t.base);
    FUZZ_CHECK(g_mkdir(t.base, 0700) == 0);
    build(&t, &in);
    of_node = g_build_filename(t.base, "of_node", NULL);

    blob = host_node_load_sysfs(of_node, &err);
    fuzz_note("host_node_load_sysfs", err);
    FUZZ_CHECK((blob != NULL) == (err == NULL));
    if (blob) {
        FUZZ_CHECK(fdt_totalsize(blob) <= HOST_NODE_MAX_SIZE);
        FUZZ_CHECK(fdt_check_full(blob, fdt_totalsize(blob)) == 0);
        FUZZ_CHECK(fdt_check_untrusted(blob, fdt_totalsize(blob)) == 0);
        FUZZ_CHECK(!strcmp(fdt_get_name(blob, 0, NULL), ""));
        check_node(blob, 0, of_node, true);
        g_free(blob);
    } else {
        FUZZ_CHECK(err->message[0] != '\0');
        FUZZ_CHECK(strchr(err->message, '\n') == NULL); /* one line */
        FUZZ_CHECK(strstr(err->message, t.base) != NULL); /* names where */
        g_error_free(err);
    }
    rm_tree(t.base);
    g_free(t.base);
    g_ptr_array_unref(t.entries);
    return 0;
}
