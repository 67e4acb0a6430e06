/* ptfuzz: a long random walk through everything that makes the kernel
 * change page tables: sbrk up and down (across the 4 MiB a page table
 * covers), demand-zero faults, pattern writes and reads, pteflags and
 * ptswap, fork with copy-on-write (each side writes, the other checks its
 * copy), exit and wait, pipes that the kernel copies into shared and
 * unmapped pages, spawn of a fresh program, and accesses that must kill.
 *
 * Every value read back is checked against a model of the heap, and folded
 * into a digest per kind of operation. Nothing here depends on time (every
 * child is waited for before anything is looked at), so the digests are a
 * function of the seed alone and must read the same natively, under EPT,
 * under shadow paging and on the PV kernel (direct paging):
 *   PTFUZZ heap: N ops, digest 0x...        one line per kind, then
 *   PTFUZZ seed 0x19: N ops, digest 0x...   all of them in one
 * (the integration cases and lab 5's ptfuzz-equals-ept compare them). User
 * programs have no command line: the seed is PTFUZZ_SEED. */
#include "ulib.h"

const char *test_name = "ptfuzz";

#ifndef PTFUZZ_SEED
#define PTFUZZ_SEED 0x19u
#endif
#define OPS 140                 /* the parent's operations */
#define CHILD_OPS 16            /* each forked child's */
#define MAX_DEPTH 2             /* forks within forks */
#define MAX_PAGES 5120          /* 20 MiB of heap: five page tables' reach */
#define MAX_RESIDENT 400        /* pages touched before the walk must shrink */
#define PAGE 4096u
#define TABLE_PAGES 1024u       /* the pages one page table maps (4 MiB) */
#define STATUS_PAGE_FAULT 0x10E /* wait()'s status of a process killed by #PF */
#define STATUS_GP_FAULT 0x10D   /* by #GP */

enum kind { HEAP, TOUCH, FLAGS, FORK, EXITS, FAULT, PIPE, SPAWN, KINDS };
static const char *const kind_name[KINDS] = {"heap", "touch", "flags", "fork", "exit", "fault", "pipe", "spawn"};
static uint32_t digest[KINDS], ops[KINDS];

/* FNV-1a over the 4 bytes of v. */
static uint32_t fnv(uint32_t h, uint32_t v)
{
    for (int i = 0; i < 4; i++, v >>= 8)
        h = (h ^ (v & 0xFF)) * 16777619u;
    return h;
}

static void fold(enum kind k, uint32_t v) { digest[k] = fnv(digest[k], v); }

static void reset_digests(void)
{
    for (int k = 0; k < KINDS; k++)
        digest[k] = 2166136261u, ops[k] = 0;
}

static uint32_t all_digests(void)
{
    uint32_t h = 2166136261u;
    for (int k = 0; k < KINDS; k++)
        h = fnv(fnv(h, ops[k]), digest[k]);
    return h;
}

static uint32_t rng_state;

static uint32_t next(void)     /* xorshift32 */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static uint32_t below(uint32_t n) { return n ? next() % n : 0; }

/* The model: the heap's pages (sbrk(0) at the start is page 0). Each page
 * holds value[p] at word slot_a(p) and value[p] ^ p at slot_b(p); a page
 * never written since the heap last covered it holds zeros. */
static char *heap;
static uint32_t pages;                  /* the heap's size now */
static uint32_t value[MAX_PAGES];
static uint8_t mapped[MAX_PAGES];       /* touched: the kernel maps it */
static uint32_t resident;
static int depth;                       /* 0 in the first process */

static uint32_t slot_a(uint32_t p) { return (p * 2654435761u >> 22) & 1023; }
static uint32_t slot_b(uint32_t p) { return slot_a(p) ^ 512; }
static volatile uint32_t *word(uint32_t p, uint32_t slot) { return (volatile uint32_t *)(heap + p * PAGE) + slot; }

static _Noreturn void failed(const char *what, uint32_t p, uint32_t want, uint32_t got)
{
    test_fail("%s (depth %d, page %u at 0x%x: expected 0x%x, got 0x%x)", what, depth, p,
              (uint32_t)(heap + p * PAGE), want, got);
}

static void touched(uint32_t p)
{
    if (!mapped[p])
        mapped[p] = 1, resident++;
}

static void write_page(uint32_t p, uint32_t v)
{
    *word(p, slot_a(p)) = v;
    *word(p, slot_b(p)) = v ^ p;
    value[p] = v;
    touched(p);
}

/* Read page p back (a demand-zero fault if it was never touched). */
static uint32_t read_page(uint32_t p)
{
    uint32_t a = *word(p, slot_a(p)), b = *word(p, slot_b(p));
    if (a != value[p])
        failed("a page lost its data", p, value[p], a);
    if (b != (value[p] ? value[p] ^ p : 0))
        failed("a page's second word is wrong", p, value[p] ^ p, b);
    touched(p);
    return a;
}

static void check_all(enum kind k)
{
    for (uint32_t p = 0; p < pages; p++)
        if (mapped[p])
            fold(k, read_page(p));
}

/* ---- sbrk ---- */

static void set_heap_size(uint32_t target)
{
    char *old = sbrk((int)(target - pages) * (int)PAGE);
    if (old != heap + pages * PAGE)
        failed("sbrk did not return the old break", pages, (uint32_t)(heap + pages * PAGE), (uint32_t)old);
    for (uint32_t p = target; p < pages; p++) {
        resident -= mapped[p];
        value[p] = 0, mapped[p] = 0;    /* regrown, it must read zero */
    }
    pages = target;
    fold(HEAP, target);
}

/* Grow a little or a lot (up to a page table's reach at once). */
static void op_grow(void)
{
    uint32_t more = below(2) ? 1 + below(64) : 1 + below(TABLE_PAGES + 100);
    if (pages + more > MAX_PAGES)
        more = MAX_PAGES - pages;
    set_heap_size(pages + more);
}

/* Shrink: often to just below a 4 MiB boundary, so that a table's last
 * pages go (the kernel keeps the table) and come back zeroed. */
static void op_shrink(void)
{
    uint32_t target = below(pages + 1);
    uint32_t base_page = (uint32_t)heap / PAGE;
    uint32_t boundary = ((base_page + target) / TABLE_PAGES) * TABLE_PAGES;
    if (below(2) && boundary > base_page + 8)
        target = boundary - base_page - below(8);
    if (resident > MAX_RESIDENT)
        target = target < pages / 2 ? target : pages / 2;
    set_heap_size(target);
}

/* ---- touching pages ---- */

static void op_write(void)
{
    uint32_t p = below(pages), n = 1 + below(8);
    for (uint32_t i = 0; i < n && p + i < pages; i++)
        write_page(p + i, next() | 1);
    ops[TOUCH]++;
}

static void op_read(void)
{
    uint32_t p = below(pages), n = 1 + below(8);
    for (uint32_t i = 0; i < n && p + i < pages; i++)
        fold(TOUCH, read_page(p + i));
    ops[TOUCH]++;
}

/* The PTE's flags: present exactly for the pages touched; A, D, W and the
 * copy-on-write bit go into the digest (the CPU's, or the hypervisor's
 * shadow, A and D). Sometimes clear A and D (an update that changes only
 * them), see them clear, touch the page and see the CPU set them again. */
#define PTE_A 0x20
#define PTE_D 0x40
static void op_flags(void)
{
    uint32_t p = below(pages);
    void *va = heap + p * PAGE;
    int flags = pteflags(va, 0);
    if ((flags >= 0) != mapped[p])
        failed(mapped[p] ? "a touched page has no PTE" : "an untouched page has a PTE", p, mapped[p], flags);
    fold(FLAGS, (uint32_t)flags);
    ops[FLAGS]++;
    if (flags < 0 || below(2))
        return;
    pteflags(va, PTE_A | PTE_D);
    if ((flags = pteflags(va, 0)) & (PTE_A | PTE_D))
        failed("A and D still set after pteflags cleared them", p, 0, (uint32_t)flags);
    int write = (int)below(2);
    if (write)
        write_page(p, next() | 1);
    else
        fold(FLAGS, read_page(p));
    flags = pteflags(va, 0);
    if ((flags & (PTE_A | PTE_D)) != (write ? PTE_A | PTE_D : PTE_A))
        failed(write ? "A and D after a write" : "A and D after a read", p, write ? PTE_A | PTE_D : PTE_A,
               (uint32_t)flags);
    fold(FLAGS, (uint32_t)flags);
}

/* Swap two pages' frames (ptswap invalidates both). */
static void op_swap(void)
{
    uint32_t p = below(pages), q = below(pages);
    int r = ptswap(heap + p * PAGE, heap + q * PAGE);
    if ((r == 0) != (mapped[p] && mapped[q]))
        failed("ptswap's answer", p, mapped[p] && mapped[q], r);
    if (r == 0 && p != q) {
        /* each page's words sit at its own slots: re-write both after the swap */
        uint32_t vp = value[p], vq = value[q];
        value[p] = vq, value[q] = vp;
        uint32_t ap = *word(p, slot_a(q)), aq = *word(q, slot_a(p));
        if (ap != vq || aq != vp)
            failed("a swapped page shows the old frame", p, vq, ap);
        write_page(p, vq | 1);
        write_page(q, vp | 1);
    }
    fold(FLAGS, (uint32_t)r);
    ops[FLAGS]++;
}

/* ---- processes ---- */

static void random_ops(int count);

static void must_write(int fd, const void *buf, int n)
{
    if (write(fd, buf, n) != n)
        test_fail("a pipe write of %d bytes failed (depth %d)", n, depth);
}

static void must_read(int fd, void *buf, int n)
{
    for (int got = 0, r; got < n; got += r)
        if ((r = read(fd, (char *)buf + got, n - got)) <= 0)
            test_fail("a pipe read of %d bytes got %d (depth %d)", n, got, depth);
}

/* A child keeps only the pipe ends it uses (at most 8 files a process). */
static void keep_only(int a, int b)
{
    for (int fd = 3; fd < 16; fd++)
        if (fd != a && fd != b)
            close(fd);
}

static int must_fork(void)
{
    int pid = fork();
    if (pid < 0)
        test_fail("fork failed (depth %d)", depth);
    return pid;
}

/* Wait for child pid: its status must be `want` (`also`, another it may
 * have, counts as `want`). */
static void reap(int pid, int want, int also, enum kind k)
{
    int status = -1, got = wait(&status);
    if (status == also)
        status = want;
    if (got != pid || status != want)
        test_fail("child %d ended with status 0x%x (wait gave %d), expected 0x%x (depth %d)", pid, status, got,
                  want, depth);
    fold(k, (uint32_t)status);
}

/* Fork; after it the parent writes some pages and the child must still see
 * the old ones; then the child runs a walk of its own (writes, sbrk, forks
 * of its own) and sends its digest; the parent must see none of it. */
static void op_fork(void)
{
    if (depth >= MAX_DEPTH || pages == 0)
        return;
    int go[2], back[2];
    if (pipe(go) < 0 || pipe(back) < 0)
        test_fail("pipe failed (depth %d)", depth);
    uint32_t child_seed = next() | 1, writes = 1 + below(16);
    int pid = must_fork();
    if (pid == 0) {
        char c;
        keep_only(go[0], back[1]);
        must_read(go[0], &c, 1);
        close(go[0]);
        depth++;
        reset_digests();
        check_all(FORK);                /* the parent's writes stay its own */
        rng_state = child_seed;
        random_ops(CHILD_OPS);
        check_all(TOUCH);
        uint32_t d = all_digests();
        must_write(back[1], &d, 4);
        exit(0);
    }
    close(go[0]), close(back[1]);
    for (uint32_t i = 0; i < writes; i++)
        write_page(below(pages), next() | 1);
    must_write(go[1], "g", 1);
    uint32_t child_digest;
    must_read(back[0], &child_digest, 4);
    reap(pid, 0, 0, FORK);
    close(go[1]), close(back[0]);
    check_all(FORK);                    /* the child's writes stay its own */
    fold(FORK, child_digest);
    ops[FORK]++;
}

/* Children that touch pages and exit with chosen statuses. */
static void op_exits(void)
{
    int n = 1 + (int)below(3), pids[3];
    uint32_t status[3];
    for (int i = 0; i < n; i++) {
        status[i] = 2 + below(250);
        uint32_t touch = below(8);
        if ((pids[i] = must_fork()) == 0) {
            for (uint32_t t = 0; t < touch && pages; t++)
                write_page(below(pages), next() | 1);
            exit((int)status[i]);
        }
    }
    /* Reaped in whatever order they ended; judged by pid. */
    for (int left = n; left > 0; left--) {
        int s = -1, pid = wait(&s), i = 0;
        while (i < n && pids[i] != pid)
            i++;
        if (i == n || (uint32_t)s != status[i])
            test_fail("wait gave pid %d status 0x%x (depth %d)", pid, s, depth);
        pids[i] = -1;
    }
    for (int i = 0; i < n; i++)
        fold(EXITS, status[i]);
    ops[EXITS]++;
}

/* An access the kernel must kill for. Some test a mapping that must be
 * gone: a page just freed by sbrk (a stale TLB entry, or a stale shadow
 * one, would let the read through), or one the kernel never mapped. */
void *ptfuzz_code(void);
static void op_fault(void)
{
    uint32_t how = below(6), p = below(pages + 1);
    int pid = must_fork();
    if (pid == 0) {
        volatile uint32_t *at;
        switch (how) {
        case 0:                         /* just above the break */
            at = (volatile uint32_t *)(heap + pages * PAGE + below(64) * PAGE);
            break;
        case 1:                         /* a page freed a moment ago */
            if (pages == 0)
                set_heap_size(1);
            p = pages - 1;
            (void)read_page(p);
            set_heap_size(p);
            at = word(p, slot_a(p));
            break;
        case 2:                         /* the program's read-only code */
            *(volatile uint8_t *)ptfuzz_code() = 0;
            exit(0);
        case 3:                         /* the kernel's memory */
            at = (volatile uint32_t *)(0xC0000000u + below(0x1000000) * 4);
            break;
        case 4:                         /* below the program: never mapped */
            at = (volatile uint32_t *)(below(0x400000 / 4) * 4);
            break;
        default:                        /* the top 64 MiB: the hypervisor's */
            at = (volatile uint32_t *)(0xFC000000u + below(0x1000000) * 4);
            break;
        }
        exit((int)*at);
    }
    /* The top 64 MiB: under cpu=deprivileged the guest's segments end
     * below them (the hypervisor's GDT: hv/README.md), so the read is a #GP */
    reap(pid, STATUS_PAGE_FAULT, how == 5 ? STATUS_GP_FAULT : STATUS_PAGE_FAULT, FAULT);
    fold(FAULT, how);
    ops[FAULT]++;
}

/* The kernel writes into this process for read(): into pages that are
 * shared copy-on-write, never touched, or straddle a page boundary. */
static uint8_t bounce[3 * PAGE];

static void op_pipe(void)
{
    if (pages == 0)
        return;
    int data[2], back[2];
    if (pipe(data) < 0 || pipe(back) < 0)
        test_fail("pipe failed (depth %d)", depth);
    uint32_t n = 1 + below(6), first = below(pages), len = 1 + below(1000);
    uint32_t offset = PAGE * (1 + below(2)) - below(len + 1);     /* across a page boundary, mostly */
    uint8_t fill = (uint8_t)next();
    if (below(2))
        memset(bounce + offset, 0xEE, len);    /* then shared copy-on-write, else untouched */
    int pid = must_fork();
    if (pid == 0) {
        keep_only(data[0], back[1]);
        /* The heap pages' two words come through the pipe, each a read() */
        for (uint32_t i = 0; i < n && first + i < pages; i++) {
            uint32_t p = first + i, v;
            must_read(data[0], (void *)word(p, slot_a(p)), 4);
            must_read(data[0], (void *)word(p, slot_b(p)), 4);
            /* mapped or copied by the kernel, which wrote through its own
             * mapping: A and D as the page had them (none if it is new) */
            fold(PIPE, (uint32_t)pteflags((void *)word(p, 0), 0));
            v = *word(p, slot_a(p));
            value[p] = v;
            touched(p);
            (void)read_page(p);
        }
        must_read(data[0], bounce + offset, (int)len);
        uint32_t sum = 2166136261u;
        for (uint32_t i = 0; i < len; i++) {
            if (bounce[offset + i] != (uint8_t)(fill + i))
                test_fail("pipe byte %u: 0x%x, expected 0x%x", i, bounce[offset + i], (uint8_t)(fill + i));
            sum = fnv(sum, bounce[offset + i]);
        }
        check_all(PIPE);
        sum = fnv(sum, digest[PIPE]);
        must_write(back[1], &sum, 4);
        exit(0);
    }
    close(data[0]), close(back[1]);
    for (uint32_t i = 0; i < n && first + i < pages; i++) {
        uint32_t p = first + i, v = next() | 1, pair[2] = {v, v ^ p};
        must_write(data[1], pair, 8);
    }
    static uint8_t out[1000];
    for (uint32_t i = 0; i < len; i++)
        out[i] = (uint8_t)(fill + i);
    must_write(data[1], out, (int)len);
    uint32_t sum;
    must_read(back[0], &sum, 4);
    reap(pid, 0, 0, PIPE);
    close(data[1]), close(back[0]);
    fold(PIPE, sum);
    ops[PIPE]++;
}

/* A fresh address space from a program file (this OS's exec). */
static void op_spawn(void)
{
    int pid = spawn("helper_ptfuzz");
    if (pid < 0)
        test_fail("spawn helper_ptfuzz failed: is it among the modules?");
    int status = -1;
    if (wait(&status) != pid)
        test_fail("wait for helper_ptfuzz");
    fold(SPAWN, (uint32_t)status);
    ops[SPAWN]++;
}

/* ---- the walk ---- */

static void random_ops(int count)
{
    static void (*const table[])(void) = {
        op_grow, op_grow, op_shrink, op_shrink, op_write, op_write, op_write, op_write, op_read, op_read, op_read,
        op_read, op_flags, op_flags, op_swap, op_fork, op_exits, op_fault, op_pipe, op_spawn,
    };
    for (int i = 0; i < count; i++) {
        void (*op)(void) = table[below(sizeof table / sizeof table[0])];
        if (pages == 0 && op != op_fault && op != op_spawn)
            op = op_grow;
        else if (resident > MAX_RESIDENT && op != op_read)
            op = op_shrink;
        op();
        ops[HEAP] += op == op_grow || op == op_shrink;
    }
}

int main(void)
{
    heap = sbrk(0);
    rng_state = PTFUZZ_SEED;
    reset_digests();
    random_ops(OPS);
    check_all(TOUCH);
    set_heap_size(0);
    uint32_t total = 0;
    for (int k = 0; k < KINDS; k++) {
        printf("PTFUZZ %s: %u ops, digest 0x%08x\n", kind_name[k], ops[k], digest[k]);
        total += ops[k];
    }
    printf("PTFUZZ seed 0x%x: %u ops, digest 0x%08x\n", PTFUZZ_SEED, total, all_digests());
    test_pass();
}

void *ptfuzz_code(void) { return (void *)main; }
