/*
 * attacks_bt_privileged.c: MOV to CR3 and INVLPG in the kernel under
 * bt=1, which copies them into the translation and emulates their #GP(0)
 * exit where it is, without leaving it (BT_PRIVILEGED, hv/bt/bt_classify.h;
 * depriv_bt_privileged_in_tc), then checks the translated pages against
 * the new tables. Two address spaces map the second 4 MiB differently: a
 * data page to other frames, and a code page to two frames whose code
 * differs after a MOV to CR3 at the same offset. The bare CPU fetches the
 * instruction after a MOV to CR3 through the new tables (SDM vol. 3,
 * 4.10.4.1: the load invalidates the non-global translations) and reads
 * through them; INVLPG invalidates one page's (SDM vol. 2A, INVLPG).
 * `privileged`: under bt the run must show such instructions done in
 * translations.
 */
#include "attack.h"

#define SPACE 0x00400000u        /* the second 4 MiB: its table is each address space's own */

static uint32_t pd_a[1024] __attribute__((aligned(4096))), pd_b[1024] __attribute__((aligned(4096)));
static uint32_t pt_a[1024] __attribute__((aligned(4096))), pt_b[1024] __attribute__((aligned(4096)));
static uint32_t frames[3][1024] __attribute__((aligned(4096)));   /* data pages: their first words differ */
static uint8_t code[2][4096] __attribute__((aligned(4096)));      /* code pages */

/* Both spaces: the first 4 MiB as paging_on maps it; pt_a and pt_b map
 * SPACE (data) to frames[0] and frames[1], SPACE + 4 KiB (code) to code[0]
 * and code[1]; nothing global. */
static void spaces(void)
{
    paging_on(0);
    for (unsigned i = 0; i < 1024; i++)
        pd_a[i] = pd_b[i] = page_dir[i];
    pd_a[1] = (uint32_t)pt_a | PG_P | PG_W;
    pd_b[1] = (uint32_t)pt_b | PG_P | PG_W;
    pt_a[0] = (uint32_t)frames[0] | PG_P | PG_W;
    pt_b[0] = (uint32_t)frames[1] | PG_P | PG_W;
    pt_a[1] = (uint32_t)code[0] | PG_P | PG_W;
    pt_b[1] = (uint32_t)code[1] | PG_P | PG_W;
    for (unsigned f = 0; f < 3; f++)
        frames[f][0] = 0xDA7A0000 + f;
    __asm__ volatile("mov %0, %%cr3" : : "r"(pd_a) : "memory");
}

static inline void load_cr3(const uint32_t *pd) { __asm__ volatile("mov %0, %%cr3" : : "r"(pd) : "memory"); }
static inline uint32_t read_space(void) { return *(volatile uint32_t *)SPACE; }

extern volatile uint32_t timer_ticks;   /* ../common/entry.S's timer_stub */

/* Rounds of: A, read; B, read; A's entry moved to frames[2], INVLPG (with
 * a DS and an ES override), read; back to frames[0], INVLPG, read. */
static unsigned data_rounds(unsigned rounds)
{
    unsigned bad = 0;
    for (unsigned r = 0; r < rounds; r++) {
        load_cr3(pd_a);
        bad += read_space() != 0xDA7A0000;
        load_cr3(pd_b);
        bad += read_space() != 0xDA7A0001;
        load_cr3(pd_a);
        pt_a[0] = (uint32_t)frames[2] | PG_P | PG_W;
        __asm__ volatile("invlpg %%ds:(%0)" : : "r"(SPACE) : "memory");
        bad += read_space() != 0xDA7A0002;
        pt_a[0] = (uint32_t)frames[0] | PG_P | PG_W;
        __asm__ volatile("invlpg %%es:(%0)" : : "r"(SPACE) : "memory");
        bad += read_space() != 0xDA7A0000;
    }
    return bad;
}

ATTACK(bt_cr3_invlpg_data, "bt-cr3-invlpg-data", "all privileged", "native",
       "MOV to CR3 between two address spaces and INVLPG after a PTE change, 500 rounds: every read through "
       "the new tables")
{
    spaces();
    unsigned bad = data_rounds(500);
    result("%u of 2000 reads saw an old translation", bad);
}

ATTACK(bt_cr3_invlpg_timer, "bt-cr3-invlpg-timer", "all timed privileged", "native",
       "the same, 5000 rounds, the timer at 200 Hz")
{
    spaces();
    timer_on(200);
    __asm__ volatile("sti");
    unsigned bad = data_rounds(5000);
    __asm__ volatile("cli");
    timer_off();
    result("%u of 20000 reads saw an old translation, ticks %s", bad, timer_ticks ? "came" : "none");
}

/* The code page: at its start in both frames MOV %edx, %cr3 (0F 22 DA),
 * then MOV $n, %eax (B8 imm32) with n 1 in code[0] and 2 in code[1], RET.
 * Whichever space it is called in, the bare CPU runs the MOV $n of the
 * space EDX names. Each space loads itself again three times first (the
 * same frame after the load: under bt the block's slot after the copy is
 * chained to the next instruction's translation from that frame), then
 * the other: that chained slot must not be taken. */
static void write_code(uint8_t *c, uint32_t n)
{
    static const uint8_t head[] = { 0x0F, 0x22, 0xDA, 0xB8 };
    for (unsigned i = 0; i < sizeof(head); i++)
        c[i] = head[i];
    for (unsigned i = 0; i < 4; i++)
        c[4 + i] = (uint8_t)(n >> (8 * i));
    c[8] = 0xC3;
}

ATTACK(bt_cr3_remaps_own_code, "bt-cr3-remaps-own-code", "all privileged", "native",
       "MOV to CR3 that maps the page it runs from to another frame, whose code after it differs, 100 times "
       "each way (between, the same space loaded again): the next instruction is the new frame's")
{
    spaces();
    write_code(code[0], 1);
    write_code(code[1], 2);
    unsigned sum = 0, wrong = 0;
    uint32_t (*at)(void) = (uint32_t (*)(void))(SPACE + 0x1000);
    for (unsigned i = 0; i < 400; i++) {
        bool in_b = i / 4 % 2, to_b = i % 4 == 3 ? !in_b : in_b;   /* AAAB BBBA ... */
        uint32_t got;
        __asm__ volatile("call *%1" : "=a"(got) : "r"(at), "d"(to_b ? pd_b : pd_a) : "ecx", "memory", "cc");
        sum += got;
        wrong += got != (to_b ? 2u : 1u);
    }
    load_cr3(page_dir);
    result("%u calls returned the old frame's value, sum %u", wrong, sum);
}
