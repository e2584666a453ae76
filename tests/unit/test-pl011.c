// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for hw/char/pl011.c, driving the registers through the MemoryRegion's ops. */
#include "hw/char/pl011.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define DR 0x00
#define RSR 0x04
#define FR 0x18
#define IBRD 0x24
#define FBRD 0x28
#define LCR_H 0x2c
#define CR 0x30
#define IFLS 0x34
#define IMSC 0x38
#define RIS 0x3c
#define MIS 0x40
#define ICR 0x44

#define FR_RXFE 0x10
#define FR_TXFF 0x20
#define FR_RXFF 0x40
#define FR_TXFE 0x80
#define FR_BUSY 0x08

#define INT_RX (1u << 4)
#define INT_TX (1u << 5)
#define INT_RT (1u << 6)
#define INT_OE (1u << 10)

typedef struct IrqLog {
    unsigned calls;
    bool level;
} IrqLog;

static void irq_cb(void *opaque, bool level)
{
    IrqLog *log = opaque;
    /* Called on changes only. */
    g_assert_true(log->calls == 0 || log->level != level);
    log->calls++;
    log->level = level;
}

static uint64_t rd(Pl011 *s, uint64_t off, unsigned size)
{
    MemoryRegion *mr = pl011_mmio(s);
    return mr->ops->read(mr->opaque, off, size);
}

static uint32_t rd32(Pl011 *s, uint64_t off)
{
    return (uint32_t)rd(s, off, 4);
}

static void wr(Pl011 *s, uint64_t off, uint64_t v, unsigned size)
{
    MemoryRegion *mr = pl011_mmio(s);
    mr->ops->write(mr->opaque, off, v, size);
}

static void wr32(Pl011 *s, uint64_t off, uint32_t v)
{
    wr(s, off, v, 4);
}

static void test_region(void)
{
    Pl011 *s = pl011_new("pl011@9000000", -1, NULL, NULL);
    MemoryRegion *mr = pl011_mmio(s);
    g_assert_cmpint(mr->kind, ==, MR_IO);
    g_assert_cmphex(mr->size, ==, PL011_MMIO_SIZE);
    g_assert_cmpstr(mr->name, ==, "pl011@9000000");
    g_assert_nonnull(mr->ops->read);
    g_assert_nonnull(mr->ops->write);
    pl011_free(s);
    pl011_free(NULL);
}

static void test_id_registers(void)
{
    static const uint8_t id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
    Pl011 *s = pl011_new("uart", -1, NULL, NULL);
    uint32_t periph = 0, cell = 0;

    for (unsigned i = 0; i < 8; i++) {
        g_assert_cmphex(rd32(s, 0xfe0 + 4 * i), ==, id[i]);
        g_assert_cmphex(rd(s, 0xfe0 + 4 * i, 1), ==, id[i]);
        g_assert_cmphex(rd(s, 0xfe0 + 4 * i, 8), ==, id[i]);
    }
    /* As Linux's AMBA bus assembles them. */
    for (unsigned i = 0; i < 4; i++) {
        periph |= (rd32(s, 0xfe0 + 4 * i) & 0xff) << (8 * i);
        cell |= (rd32(s, 0xff0 + 4 * i) & 0xff) << (8 * i);
    }
    g_assert_cmphex(periph, ==, 0x00141011);
    g_assert_cmphex(cell, ==, 0xb105f00d);
    /* Read-only. */
    wr32(s, 0xfe0, 0x55);
    g_assert_cmphex(rd32(s, 0xfe0), ==, 0x11);
    pl011_free(s);
}

static void test_power_on_values(void)
{
    IrqLog log = { 0 };
    Pl011 *s = pl011_new("uart", -1, irq_cb, &log);

    g_assert_cmphex(rd32(s, FR), ==, FR_TXFE | FR_RXFE);
    g_assert_cmphex(rd32(s, CR), ==, 0x300);
    g_assert_cmphex(rd32(s, IFLS), ==, 0x12);
    g_assert_cmphex(rd32(s, LCR_H), ==, 0);
    g_assert_cmphex(rd32(s, IMSC), ==, 0);
    g_assert_cmphex(rd32(s, RIS), ==, 0);
    g_assert_cmphex(rd32(s, MIS), ==, 0);
    g_assert_cmpuint(pl011_can_receive(s), ==, 32);
    g_assert_cmpuint(log.calls, ==, 0);
    pl011_free(s);
}

static void test_tx_to_fd(void)
{
    int p[2];
    g_assert_cmpint(pipe(p), ==, 0);
    Pl011 *s = pl011_new("uart", p[1], NULL, NULL);

    wr32(s, DR, 'h');
    wr(s, DR, 'i', 1);          /* earlycon's 8-bit accesses */
    wr(s, DR, 0x100 | '!', 2);  /* only the low 8 bits are data */
    wr(s, DR, '\n', 8);
    /* Never full, never busy: the driver never waits. */
    g_assert_cmphex(rd32(s, FR) & (FR_TXFF | FR_BUSY), ==, 0);
    g_assert_cmphex(rd32(s, FR) & FR_TXFE, ==, FR_TXFE);

    char buf[16] = { 0 };
    g_assert_cmpint(read(p[0], buf, sizeof(buf)), ==, 4);
    g_assert_cmpstr(buf, ==, "hi!\n");
    Pl011Stats st;
    pl011_get_stats(s, &st);
    g_assert_cmpuint(st.tx_bytes, ==, 4);
    g_assert_cmpuint(st.tx_errors, ==, 0);

    /* A closed reader: the byte is lost and counted, nothing else happens. */
    close(p[0]);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    wr32(s, DR, 'x');
    signal(SIGPIPE, old);
    pl011_get_stats(s, &st);
    g_assert_cmpuint(st.tx_bytes, ==, 5);
    g_assert_cmpuint(st.tx_errors, ==, 1);
    pl011_free(s);
    close(p[1]);

    /* out_fd -1: dropped quietly. */
    s = pl011_new("uart", -1, NULL, NULL);
    wr32(s, DR, 'y');
    pl011_get_stats(s, &st);
    g_assert_cmpuint(st.tx_bytes, ==, 1);
    g_assert_cmpuint(st.tx_errors, ==, 0);
    g_assert_cmphex(rd32(s, RIS), ==, INT_TX);
    pl011_free(s);
}

static gpointer tx_one(gpointer opaque)
{
    wr32(opaque, DR, 'z');
    return NULL;
}

static void test_tx_nonblocking_fd(void)
{
    /* A full non-blocking pipe: the write waits for room instead of losing the byte. */
    int p[2];
    g_assert_cmpint(pipe2(p, O_NONBLOCK), ==, 0);
    Pl011 *s = pl011_new("uart", p[1], NULL, NULL);
    char junk[4096];
    memset(junk, 'j', sizeof(junk));
    size_t queued = 0;
    ssize_t n;
    while ((n = write(p[1], junk, sizeof(junk))) > 0) {
        queued += (size_t)n;
    }
    g_assert_cmpint(errno, ==, EAGAIN);

    GThread *t = g_thread_new("tx", tx_one, s);
    g_usleep(20 * 1000);
    size_t got = 0;
    char last = 0;
    while (got < queued + 1) {
        n = read(p[0], junk, sizeof(junk));
        if (n < 0 && errno == EAGAIN) {
            g_usleep(1000);
            continue;
        }
        g_assert_cmpint(n, >, 0);
        got += (size_t)n;
        last = junk[n - 1];
    }
    g_thread_join(t);
    g_assert_cmpuint(got, ==, queued + 1);
    g_assert_cmpint(last, ==, 'z');
    Pl011Stats st;
    pl011_get_stats(s, &st);
    g_assert_cmpuint(st.tx_errors, ==, 0);
    pl011_free(s);
    close(p[0]);
    close(p[1]);
}

static void test_tx_interrupt(void)
{
    IrqLog log = { 0 };
    Pl011 *s = pl011_new("uart", -1, irq_cb, &log);

    wr32(s, IMSC, INT_TX);
    g_assert_cmpuint(log.calls, ==, 0);
    wr32(s, DR, 'a');
    g_assert_cmpuint(log.calls, ==, 1);
    g_assert_true(log.level);
    g_assert_cmphex(rd32(s, RIS), ==, INT_TX);
    g_assert_cmphex(rd32(s, MIS), ==, INT_TX);

    /* Stays asserted ("TX FIFO always empty"); another byte is no new edge. */
    wr32(s, DR, 'b');
    g_assert_cmpuint(log.calls, ==, 1);

    wr32(s, ICR, INT_TX);
    g_assert_cmpuint(log.calls, ==, 2);
    g_assert_false(log.level);
    g_assert_cmphex(rd32(s, RIS), ==, 0);

    /* Raised while masked: unmasking raises the line, masking lowers it. */
    wr32(s, IMSC, 0);
    wr32(s, DR, 'c');
    g_assert_cmpuint(log.calls, ==, 2);
    g_assert_cmphex(rd32(s, RIS), ==, INT_TX);
    g_assert_cmphex(rd32(s, MIS), ==, 0);
    wr32(s, IMSC, INT_TX);
    g_assert_cmpuint(log.calls, ==, 3);
    g_assert_true(log.level);
    wr32(s, IMSC, INT_RX);
    g_assert_cmpuint(log.calls, ==, 4);
    g_assert_false(log.level);
    pl011_free(s);
}

static void test_rx(void)
{
    IrqLog log = { 0 };
    Pl011 *s = pl011_new("uart", -1, irq_cb, &log);

    g_assert_cmphex(rd32(s, FR) & FR_RXFE, ==, FR_RXFE);
    g_assert_cmpuint(pl011_receive(s, (const uint8_t *)"ab", 2), ==, 2);
    g_assert_cmpuint(pl011_can_receive(s), ==, 30);
    g_assert_cmphex(rd32(s, FR) & (FR_RXFE | FR_RXFF), ==, 0);
    g_assert_cmphex(rd32(s, RIS), ==, INT_RX | INT_RT);
    g_assert_cmphex(rd32(s, MIS), ==, 0);
    g_assert_cmpuint(log.calls, ==, 0); /* masked */

    wr32(s, IMSC, INT_RX | INT_RT);
    g_assert_cmpuint(log.calls, ==, 1);
    g_assert_true(log.level);

    g_assert_cmphex(rd32(s, DR), ==, 'a');
    g_assert_true(log.level);
    g_assert_cmphex(rd32(s, FR) & FR_RXFE, ==, 0);
    g_assert_cmphex(rd(s, DR, 1), ==, 'b');
    /* Empty: RX and RT drop and so does the line. */
    g_assert_cmphex(rd32(s, FR) & FR_RXFE, ==, FR_RXFE);
    g_assert_cmphex(rd32(s, RIS), ==, 0);
    g_assert_cmpuint(log.calls, ==, 2);
    g_assert_false(log.level);
    g_assert_cmpuint(pl011_can_receive(s), ==, 32);

    /* Reading an empty FIFO gives 0 and changes nothing. */
    g_assert_cmphex(rd32(s, DR), ==, 0);
    g_assert_cmpuint(log.calls, ==, 2);

    /* Only RX enabled: still follows. ICR clears without emptying the FIFO. */
    wr32(s, IMSC, INT_RX);
    pl011_receive(s, (const uint8_t *)"c", 1);
    g_assert_cmpuint(log.calls, ==, 3);
    g_assert_true(log.level);
    wr32(s, ICR, INT_RX | INT_RT);
    g_assert_false(log.level);
    g_assert_cmphex(rd32(s, FR) & FR_RXFE, ==, 0);
    g_assert_cmphex(rd32(s, DR), ==, 'c');
    g_assert_cmpuint(log.calls, ==, 4);

    Pl011Stats st;
    pl011_get_stats(s, &st);
    g_assert_cmpuint(st.rx_bytes, ==, 3);
    g_assert_cmpuint(st.rx_dropped, ==, 0);
    pl011_free(s);
}

static void test_rx_overflow(void)
{
    Pl011 *s = pl011_new("uart", -1, NULL, NULL);
    uint8_t buf[40];
    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)('A' + i);
    }

    g_assert_cmpuint(pl011_receive(s, buf, 30), ==, 30);
    g_assert_cmpuint(pl011_receive(s, buf + 30, 10), ==, 2);
    g_assert_cmpuint(pl011_can_receive(s), ==, 0);
    g_assert_cmphex(rd32(s, FR) & (FR_RXFF | FR_RXFE), ==, FR_RXFF);
    /* Overrun: in RSR and RIS, until ECR/ICR clear it. */
    g_assert_cmphex(rd32(s, RSR), ==, 0x8);
    g_assert_cmphex(rd32(s, RIS) & INT_OE, ==, INT_OE);
    wr32(s, RSR, 0);
    g_assert_cmphex(rd32(s, RSR), ==, 0);
    wr32(s, ICR, INT_OE);
    g_assert_cmphex(rd32(s, RIS) & INT_OE, ==, 0);

    Pl011Stats st;
    pl011_get_stats(s, &st);
    g_assert_cmpuint(st.rx_bytes, ==, 32);
    g_assert_cmpuint(st.rx_dropped, ==, 8);
    g_assert_cmpuint(pl011_receive(s, buf, 1), ==, 0);
    pl011_get_stats(s, &st);
    g_assert_cmpuint(st.rx_dropped, ==, 9);

    /* The first 32 come out in order; the FIFO wraps around. */
    for (unsigned i = 0; i < 32; i++) {
        g_assert_cmphex(rd32(s, DR), ==, buf[i]);
        if (i == 9) {
            g_assert_cmpuint(pl011_receive(s, (const uint8_t *)"", 0), ==, 0);
        }
    }
    g_assert_cmphex(rd32(s, FR) & FR_RXFE, ==, FR_RXFE);
    g_assert_cmpuint(pl011_receive(s, buf, 32), ==, 32);
    for (unsigned i = 0; i < 32; i++) {
        g_assert_cmphex(rd32(s, DR), ==, buf[i]);
    }
    pl011_free(s);
}

static void test_mis(void)
{
    IrqLog log = { 0 };
    Pl011 *s = pl011_new("uart", -1, irq_cb, &log);

    wr32(s, DR, 'x');
    pl011_receive(s, (const uint8_t *)"y", 1);
    uint32_t ris = rd32(s, RIS);
    g_assert_cmphex(ris, ==, INT_RX | INT_TX | INT_RT);
    for (uint32_t imsc = 0; imsc <= 0x7ff; imsc += 0x15) {
        wr32(s, IMSC, imsc);
        g_assert_cmphex(rd32(s, IMSC), ==, imsc);
        g_assert_cmphex(rd32(s, MIS), ==, ris & imsc);
        g_assert_cmpint(log.level, ==, (ris & imsc) != 0);
    }
    /* IMSC holds 11 bits; RIS and MIS are read-only. */
    wr32(s, IMSC, 0xffffffff);
    g_assert_cmphex(rd32(s, IMSC), ==, 0x7ff);
    wr32(s, RIS, 0);
    wr32(s, MIS, 0);
    g_assert_cmphex(rd32(s, RIS), ==, ris);
    g_assert_cmphex(rd32(s, MIS), ==, ris);
    pl011_free(s);
}

static void test_access_sizes(void)
{
    Pl011 *s = pl011_new("uart", -1, NULL, NULL);

    wr(s, IBRD, 0x12345, 2); /* 16-bit write: zero-extended, 16 bits kept */
    g_assert_cmphex(rd32(s, IBRD), ==, 0x2345);
    g_assert_cmphex(rd(s, IBRD, 1), ==, 0x45);
    g_assert_cmphex(rd(s, IBRD + 1, 1), ==, 0x23);
    g_assert_cmphex(rd(s, IBRD, 2), ==, 0x2345);
    g_assert_cmphex(rd(s, IBRD, 8), ==, 0x2345);
    wr(s, IBRD, 0xffffffff00000007ull, 8); /* 8 bytes: treated as 4 */
    g_assert_cmphex(rd32(s, IBRD), ==, 7);
    wr(s, LCR_H, 0x70, 1);
    g_assert_cmphex(rd(s, LCR_H, 2), ==, 0x70);
    g_assert_cmphex(rd(s, CR + 1, 1), ==, 0x03);
    g_assert_cmphex(rd(s, FR, 2), ==, FR_TXFE | FR_RXFE);

    /* Unaligned writes and unknown offsets: ignored, read 0. */
    wr(s, CR + 1, 0xff, 1);
    g_assert_cmphex(rd32(s, CR), ==, 0x300);
    for (uint64_t off = 0x08; off < 0x18; off += 4) {
        wr32(s, off, 0xffffffff);
        g_assert_cmphex(rd32(s, off), ==, 0);
    }
    wr32(s, 0x4c, 1);
    g_assert_cmphex(rd32(s, 0x4c), ==, 0);
    g_assert_cmphex(rd32(s, 0x800), ==, 0);
    g_assert_cmphex(rd32(s, 0xffc + 4), ==, 0);
    pl011_free(s);
}

static void test_loopback(void)
{
    Pl011 *s = pl011_new("uart", -1, NULL, NULL);

    wr32(s, CR, 0x381); /* RXE | TXE | LBE | UARTEN */
    wr32(s, DR, 'L');
    g_assert_cmphex(rd32(s, FR) & FR_RXFE, ==, 0);
    g_assert_cmphex(rd32(s, DR), ==, 'L');
    wr32(s, CR, 0x301);
    wr32(s, DR, 'M');
    g_assert_cmphex(rd32(s, FR) & FR_RXFE, ==, FR_RXFE);
    pl011_free(s);
}

typedef struct ThreadCtx {
    Pl011 *s;
    unsigned n;
} ThreadCtx;

static gpointer rx_feeder(gpointer opaque)
{
    ThreadCtx *c = opaque;
    for (unsigned i = 0; i < c->n;) {
        uint8_t b = (uint8_t)i;
        if (pl011_can_receive(c->s)) {
            i += pl011_receive(c->s, &b, 1);
        } else {
            g_thread_yield();
        }
    }
    return NULL;
}

static void count_irq(void *opaque, bool level)
{
    (void)level;
    g_atomic_int_inc((gint *)opaque);
}

static void test_threads(void)
{
    /* A feeder thread against a reader doing what the driver does: FR, then DR. */
    gint irqs = 0;
    Pl011 *s = pl011_new("uart", -1, count_irq, &irqs);
    wr32(s, IMSC, INT_RX | INT_RT);
    ThreadCtx c = { s, 20000 };
    GThread *t = g_thread_new("feeder", rx_feeder, &c);
    for (unsigned i = 0; i < c.n;) {
        if (rd32(s, FR) & FR_RXFE) {
            g_thread_yield();
            continue;
        }
        g_assert_cmphex(rd32(s, DR), ==, (uint8_t)i);
        i++;
    }
    g_thread_join(t);
    Pl011Stats st;
    pl011_get_stats(s, &st);
    g_assert_cmpuint(st.rx_bytes, ==, c.n);
    g_assert_cmpuint(st.rx_dropped, ==, 0);
    g_assert_cmpint(g_atomic_int_get(&irqs) % 2, ==, 0); /* ends low: every rise fell */
    pl011_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pl011/region", test_region);
    g_test_add_func("/pl011/id-registers", test_id_registers);
    g_test_add_func("/pl011/power-on-values", test_power_on_values);
    g_test_add_func("/pl011/tx/to-fd", test_tx_to_fd);
    g_test_add_func("/pl011/tx/nonblocking-fd", test_tx_nonblocking_fd);
    g_test_add_func("/pl011/tx/interrupt", test_tx_interrupt);
    g_test_add_func("/pl011/rx/fifo-and-interrupt", test_rx);
    g_test_add_func("/pl011/rx/overflow", test_rx_overflow);
    g_test_add_func("/pl011/mis", test_mis);
    g_test_add_func("/pl011/access-sizes", test_access_sizes);
    g_test_add_func("/pl011/loopback", test_loopback);
    g_test_add_func("/pl011/threads", test_threads);
    return g_test_run();
}
