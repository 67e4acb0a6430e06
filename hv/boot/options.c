/*
 * options.c: the table of the hypervisor's options and their parser (a pure
 * module: any mode, and the host unit tests in tests/unit/test_options.c).
 *
 * One table drives everything: parsing, the "known:" and "allowed:" lists
 * in error messages, and the printing of the parsed values. Adding an option
 * is one row here and one field in struct hv_options.
 */
#include "boot/options.h"
#include "fmt.h"
#include "string.h"

enum option_kind { KIND_CHOICE, KIND_NUMBER, KIND_NAME, KIND_BALLOON, KIND_MIB_PER_VM };

struct option_desc {
    const char *name;
    const char *description;
    enum option_kind kind;
    const char *const *choices;   /* KIND_CHOICE: value names, in enum order */
    unsigned min, max;            /* KIND_NUMBER: inclusive range */
    size_t offset;                /* of the field in struct hv_options */
};

static const char *const mem_choices[] = { "ept", "shadow", "direct", NULL };
static const char *const cpu_choices[] = { "hvm", "deprivileged", "pv", NULL };
static const char *const gdb_choices[] = { "off", "hv", "guest", NULL };
static const char *const devices_choices[] = { "machine", "virtual", NULL };
static const char *const timer_mode_choices[] = { "catchup", "merge", "discard", "delay", NULL };
static const char *const tsc_choices[] = { "wall", "run", NULL };
static const char *const fault_choices[] = { "none", "panic", "pagefault", "divide", "triplefault", "hang", NULL };

#define FIELD(f) offsetof(struct hv_options, f)

/* set_option stores choices and numbers as unsigned. */
_Static_assert(sizeof(enum mem_mode) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum cpu_mode) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum fault_kind) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum gdb_mode) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum devices_mode) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum timer_mode) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum tsc_mode) == sizeof(unsigned), "enum size");

static const struct option_desc option_table[] = {
    { "mem", "guest memory virtualisation: EPT (lab 1), shadow page tables (lab 2), or the guest's "
      "own tables, validated (direct paging: cpu=pv's, implied by it, lab 5)",
      KIND_CHOICE, mem_choices, 0, 0, FIELD(mem) },
    { "cpu", "how the guest kernel runs: VT-x at ring 0, deprivileged at ring 1 (lab 3), or a "
      "paravirtual kernel at ring 0 that makes hypercalls (lab 5; implies mem=direct, devices=virtual)",
      KIND_CHOICE, cpu_choices, 0, 0, FIELD(cpu) },
    { "test", "name of the in-guest test to run, passed on to the guest",
      KIND_NAME, NULL, 0, 0, FIELD(test) },
    { "vms", "number of VMs, one per group of modules: a Multiboot kernel and the modules after it up "
      "to the next kernel (vm.h; run one after the other, lab 4 schedules them)",
      KIND_NUMBER, NULL, 1, OPTIONS_VMS_MAX, FIELD(vms) },
    { "guestmem", "RAM of each guest, in MiB",
      KIND_NUMBER, NULL, 4, 1024, FIELD(guestmem_mib) },
    { "fault", "fail on purpose, to prove the runner recognises each outcome",
      KIND_CHOICE, fault_choices, 0, 0, FIELD(fault) },
    { "vmcs_break", "break one VM-entry rule on purpose, to see the VM-entry checker at work",
      KIND_NAME, NULL, 0, 0, FIELD(vmcs_break) },
    { "vmcs_break_at", "with vmcs_break: break the VMCS at this VM exit, so that a VMRESUME fails (0: before VMLAUNCH)",
      KIND_NUMBER, NULL, 0, 1000000, FIELD(vmcs_break_at) },
    { "vmcheck", "1: run the VM-entry checker on the VMCS before the first VM entry; 2: before every VM entry",
      KIND_NUMBER, NULL, 0, 2, FIELD(vmcheck) },
    { "scan", "1: list the guest kernel's sensitive instructions that would not trap at ring 1 (lab 3)",
      KIND_NUMBER, NULL, 0, 1, FIELD(scan) },
    { "patch", "with cpu=deprivileged, 1: patch those instructions into INT3 and emulate them (lab 3)",
      KIND_NUMBER, NULL, 0, 1, FIELD(patch) },
    { "bt", "with cpu=deprivileged, 1: run the guest kernel's code from a translation cache (binary translation, lab 3)",
      KIND_NUMBER, NULL, 0, 1, FIELD(bt) },
    { "shadows", "with bt=1: how many address spaces' shadow page tables are kept across CR3 loads, "
      "each revalidated at its load (1: one, emptied at each load, as lab 2's; default 4)",
      KIND_NUMBER, NULL, 1, 8, FIELD(shadows) },
    { "gdb", "the GDB stub on COM2: off, or debugging the hypervisor (hv) or its guest (guest)",
      KIND_CHOICE, gdb_choices, 0, 0, FIELD(gdb) },
    { "devices", "the PIT and PIC the guest programs: the machine's own, ports passed through "
      "(labs 1-3), or the hypervisor's virtual ones, with injected interrupts (lab 4)",
      KIND_CHOICE, devices_choices, 0, 0, FIELD(devices) },
    { "quantum", "with devices=virtual and vms=2 or more: each VM's turn on the CPU, in ms of the TSC",
      KIND_NUMBER, NULL, 1, 1000, FIELD(quantum_ms) },
    { "timer_mode", "with devices=virtual: the PIT's ticks the guest could not take (descheduled, "
      "or interrupts off): all delivered late (catchup), merged into one (merge), those of "
      "the time another VM ran dropped (discard), or none missed: the VM's time, its PIT's and "
      "its TSC's, stops while another VM runs (delay)",
      KIND_CHOICE, timer_mode_choices, 0, 0, FIELD(timer_mode) },
    { "tsc", "with devices=virtual: the guest's TSC counts wall time (wall), or stands still while "
      "another VM has the CPU, counting only its VM's own time (run; the default with timer_mode=delay)",
      KIND_CHOICE, tsc_choices, 0, 0, FIELD(tsc) },
    { "sched_trace", "with devices=virtual and vms=2 or more, 1: when the VMs have ended, one line per "
      "turn, hv: turn vmN from <TSC> to <TSC>",
      KIND_NUMBER, NULL, 0, 1, FIELD(sched_trace) },
    { "fill_free", "a byte (1-255) to fill every free page with at boot, before any VM is made: a "
      "test that nothing a guest gets relies on the machine's RAM starting zero (0: not filled)",
      KIND_NUMBER, NULL, 0, 255, FIELD(fill_free) },
    { "run_for", "seconds of the machine's time each VM may run, from its first instruction, before it "
      "is stopped with status 0, for kernels that never power off (0: no limit)",
      KIND_NUMBER, NULL, 0, 3600, FIELD(run_for) },
    { "dpcheck", "with cpu=pv: recount every page's type and references from the tables (dp_check) after "
      "every N hypercalls and at the guest's shutdown (tests; 0: never)",
      KIND_NUMBER, NULL, 0, 1000000, FIELD(dpcheck) },
    { "balloon", "with cpu=pv: the memory each VM's balloon driver is asked to hold, in MiB, from a time "
      "of the VM's in ms: VM 0's steps first, '/' before each next VM's (boot/balloon_targets.h)",
      KIND_BALLOON, NULL, 0, 0, FIELD(balloon) },
    { "maxmem", "with cpu=pv: the most memory each VM's balloon may grow to, in MiB, VM 0's first, '/' "
      "before each next VM's, '-' for guestmem (Xen's maxmem; the VM starts with guestmem)",
      KIND_MIB_PER_VM, NULL, 4, 960, FIELD(maxmem_mib) },
    { "resident", "with cpu=hvm, mem=ept and devices=virtual: the hypervisor pages each VM's RAM to a store of "
      "its own, keeping at most this many of its 4 KiB pages in memory, VM 0's first, '/' before each next "
      "VM's, '-' for a VM not paged (issue 20: pseudo page faults, guest/overcommit.h)",
      KIND_MIB_PER_VM, NULL, 64, 262144, FIELD(resident_pages) },
    { "pagein", "with resident=: a page-in from the hypervisor's store takes this many thousand TSC cycles",
      KIND_NUMBER, NULL, 1, 100000, FIELD(pagein_kcycles) },
};

#define OPTION_COUNT (sizeof(option_table) / sizeof(option_table[0]))

/* devices='s default, set by hv/hv.mk: from lab 4 on, the VM's own PIT, PIC
 * and APICs, so that no guest reaches the machine's timer or interrupt
 * controllers; in the trees of labs 1-4 (mk/lab.mk), whose lab 4 code is
 * not there or not done, the machine's, passed through. */
#ifndef DEVICES_DEFAULT
#define DEVICES_DEFAULT DEVICES_VIRTUAL
#endif

static const struct hv_options defaults = {
    .mem = MEM_EPT, .cpu = CPU_HVM, .test = "", .vms = 1, .guestmem_mib = 64, .fault = FAULT_NONE,
    .vmcs_break = "", .vmcs_break_at = 0, .vmcheck = 0, .gdb = GDB_OFF, .devices = DEVICES_DEFAULT, .quantum_ms = 10, .timer_mode = TIMER_CATCHUP,
    .tsc = TSC_BY_TIMER_MODE, .sched_trace = 0, .fill_free = 0, .run_for = 0, .pagein_kcycles = 500,
};

static const struct option_desc *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (strlen(option_table[i].name) == len && !strncmp(option_table[i].name, name, len))
            return &option_table[i];
    return NULL;
}

/* An error message, built piece by piece into err. */
struct message {
    char *buf;
    size_t size, len;
};

static void append(struct message *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(struct message *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = m->len < m->size ? m->size - m->len : 0;
    int n = vsnprintf(m->buf + (m->len < m->size ? m->len : m->size), room, fmt, ap);
    va_end(ap);
    if (n > 0)
        m->len += (size_t)n;
}

static void append_allowed(struct message *m, const struct option_desc *o)
{
    switch (o->kind) {
    case KIND_CHOICE:
        for (const char *const *c = o->choices; *c; c++)
            append(m, "%s%s", c == o->choices ? "" : ", ", *c);
        break;
    case KIND_NUMBER:
        append(m, "%u..%u", o->min, o->max);
        break;
    case KIND_NAME:
        append(m, "1 to %d letters, digits, '_', '-', '.' or ','", OPTIONS_TEST_NAME_MAX - 1);
        break;
    case KIND_BALLOON:
        append(m, "MiB[@ms][,MiB@ms...] or '-' for each VM, '/' between VMs, at most %u steps a VM, "
               "1..%u MiB, times increasing: 8,16@200/-/12", BALLOON_STEPS_MAX, BALLOON_MIB_MAX);
        break;
    case KIND_MIB_PER_VM:
        append(m, "%u..%u or '-' for each VM, '/' between VMs, at most %u VMs: -/96", o->min, o->max,
               OPTIONS_VMS_MAX);
        break;
    }
}

static bool fail_unknown(struct message *m, const char *name, size_t len)
{
    append(m, "unknown option '%.*s' (known: ", (int)len, name);
    for (size_t i = 0; i < OPTION_COUNT; i++)
        append(m, "%s%s", i ? ", " : "", option_table[i].name);
    append(m, ")");
    return false;
}

static bool fail_bad_value(struct message *m, const struct option_desc *o, const char *value, size_t len)
{
    append(m, "bad value '%.*s' for option %s (allowed: ", (int)len, value, o->name);
    append_allowed(m, o);
    append(m, ")");
    return false;
}

static bool parse_choice(const struct option_desc *o, const char *v, size_t len, unsigned *out)
{
    for (unsigned i = 0; o->choices[i]; i++)
        if (strlen(o->choices[i]) == len && !strncmp(o->choices[i], v, len)) {
            *out = i;
            return true;
        }
    return false;
}

static bool parse_number(const struct option_desc *o, const char *v, size_t len, unsigned *out)
{
    if (len == 0 || len > 9)
        return false;
    unsigned n = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        n = n * 10 + (unsigned)(v[i] - '0');
    }
    if (n < o->min || n > o->max)
        return false;
    *out = n;
    return true;
}

/* MiB[/MiB...], '-' for a VM left at 0 (the caller's default). */
static bool parse_per_vm(const struct option_desc *o, const char *v, size_t len, unsigned *out)
{
    const char *end = v + len;
    for (unsigned vm = 0; vm < OPTIONS_VMS_MAX; vm++) {
        const char *slash = v;
        while (slash < end && *slash != '/')
            slash++;
        if (!(slash - v == 1 && *v == '-') && !parse_number(o, v, (size_t)(slash - v), &out[vm]))
            return false;
        if (slash == end)
            return true;
        v = slash + 1;
    }
    return false;
}

/* Names, and lists of names: test=a,b,c passes the guest several tests. */
static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.' || c == ',';
}

static bool parse_name(const char *v, size_t len, char *out)
{
    if (len == 0 || len >= OPTIONS_TEST_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(v[i]))
            return false;
    memcpy(out, v, len);
    out[len] = '\0';
    return true;
}

/* Store value into the field of out that option o describes. */
static bool set_option(const struct option_desc *o, const char *v, size_t len, struct hv_options *out)
{
    void *field = (char *)out + o->offset;
    unsigned n;
    switch (o->kind) {
    case KIND_CHOICE:
        if (!parse_choice(o, v, len, &n))
            return false;
        *(unsigned *)field = n;   /* the enums are unsigned-sized */
        return true;
    case KIND_NUMBER:
        if (!parse_number(o, v, len, &n))
            return false;
        *(unsigned *)field = n;
        return true;
    case KIND_NAME:
        return parse_name(v, len, field);
    case KIND_BALLOON:
        return balloon_targets_parse(v, len, field);
    case KIND_MIB_PER_VM:
        memset(field, 0, OPTIONS_VMS_MAX * sizeof(unsigned));
        if (parse_per_vm(o, v, len, field))
            return true;
        memset(field, 0, OPTIONS_VMS_MAX * sizeof(unsigned));
        return false;
    }
    return false;
}

/* The '=' in word[0..len), or NULL. */
static const char *find_equals(const char *word, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (word[i] == '=')
            return word + i;
    return NULL;
}

/* Parse one "name=value" word of length len. */
static bool parse_word(const char *word, size_t len, struct hv_options *out, struct message *m)
{
    const char *eq = find_equals(word, len);
    size_t name_len = eq ? (size_t)(eq - word) : len;
    const struct option_desc *o = find_option(word, name_len);
    if (!o)
        return fail_unknown(m, word, name_len);
    const char *value = eq ? eq + 1 : word + len;
    size_t value_len = (size_t)(word + len - value);
    if (!set_option(o, value, value_len, out))
        return fail_bad_value(m, o, value, value_len);
    if (o->offset == FIELD(devices))
        out->devices_chosen = true;
    if (o->offset == FIELD(mem))
        out->mem_chosen = true;
    return true;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Length of the word at s (up to the next space or the end). */
static size_t word_length(const char *s)
{
    size_t n = 0;
    while (s[n] && !is_space(s[n]))
        n++;
    return n;
}

/* The VM's clocks (lab 4): its time, which its PIT and its APIC timer
 * count, runs on while another VM has the CPU (timer_mode=catchup, merge,
 * discard: the ticks it could not take are the policy's) or stands still
 * (delay); its TSC runs on (tsc=wall) or stands still (run). A TSC that
 * runs on while the VM's time stands still is refused: the guest would
 * see its TSC race ahead of its ticks at each turn, and take the ticks
 * for lost (as kernels that count lost ticks by the TSC do), which undoes
 * delay. The other way round is the lab's point: tsc=run with catchup
 * keeps the guest's ticks on wall time and its TSC on its own run time. */
static bool resolve_clocks(struct hv_options *out, struct message *m)
{
    if (out->tsc == TSC_BY_TIMER_MODE) {
        out->tsc = out->timer_mode == TIMER_DELAY ? TSC_RUN : TSC_WALL;
        return true;
    }
    if (out->tsc == TSC_WALL && out->timer_mode == TIMER_DELAY) {
        append(m, "tsc=wall contradicts timer_mode=delay: delay stops the VM's time while another VM "
               "runs, and its TSC would run on ahead of its ticks (use tsc=run, delay's default)");
        return false;
    }
    if (out->tsc == TSC_RUN && out->devices != DEVICES_VIRTUAL) {
        append(m, "tsc=run needs devices=virtual: with the machine's PIT and PIC the VMs run one after "
               "the other, and none waits for the CPU while its TSC could stand still");
        return false;
    }
    return true;
}

/* cpu=pv (lab 5, pv-design.md): the guest's own page tables are the CPU's
 * (direct paging), so neither EPT nor shadow tables sit under them, and
 * its devices are the hypervisor's (its events, time and console are
 * hypercalls over the virtual ones). Asked for with anything else, the
 * pair is refused by name rather than one of them quietly ignored. */
static bool resolve_pv(struct hv_options *out, struct message *m)
{
    if (out->cpu != CPU_PV) {
        if (out->mem == MEM_DIRECT) {
            append(m, "mem=direct needs cpu=pv: only a paravirtual kernel asks the hypervisor to "
                   "validate its page tables (direct paging); any other kernel writes them itself");
            return false;
        }
        return true;
    }
    if (out->mem_chosen && out->mem != MEM_DIRECT) {
        append(m, "cpu=pv contradicts mem=%s: a PV guest's own page tables are the CPU's (direct "
               "paging, mem=direct, implied by cpu=pv)", options_value_name("mem", out->mem));
        return false;
    }
    if (out->devices_chosen && out->devices != DEVICES_VIRTUAL) {
        append(m, "cpu=pv contradicts devices=machine: a PV guest's time, events and console are the "
               "hypervisor's virtual devices (devices=virtual, implied by cpu=pv)");
        return false;
    }
    out->mem = MEM_DIRECT;
    out->devices = DEVICES_VIRTUAL;
    out->devices_chosen = true;   /* a CPU that cannot give it is refused, not fallen back from */
    return true;
}

/* A per-VM option of the balloon's (lab 5) given for vm: only cpu=pv has
 * balloon drivers, and only VMs there are can be named. */
static bool for_pv_vm(const struct hv_options *out, struct message *m, const char *option, const char *why,
                      unsigned vm)
{
    if (out->cpu != CPU_PV) {
        append(m, "%s= needs cpu=pv: only a paravirtual kernel %s", option, why);
        return false;
    }
    if (vm >= out->vms) {
        append(m, "%s= names vm%u, and vms=%u", option, vm, out->vms);
        return false;
    }
    return true;
}

/* balloon= (lab 5): targets for PV guests' balloon drivers. */
static bool resolve_balloon(const struct hv_options *out, struct message *m)
{
    for (unsigned vm = 0; vm < BALLOON_VMS_MAX; vm++)
        if (out->balloon.steps[vm] && !for_pv_vm(out, m, "balloon", "has a balloon driver to ask", vm))
            return false;
    return true;
}

/* maxmem= (lab 5): what a PV VM's balloon may grow to (max_pages, its
 * P2M's size), at least what it starts with, for VMs there are; the rest
 * start at their largest (guestmem). */
static bool resolve_maxmem(struct hv_options *out, struct message *m)
{
    for (unsigned vm = 0; vm < OPTIONS_VMS_MAX; vm++) {
        if (!out->maxmem_mib[vm]) {
            out->maxmem_mib[vm] = out->guestmem_mib;
            continue;
        }
        if (!for_pv_vm(out, m, "maxmem", "has a balloon to grow past its start", vm))
            return false;
        if (out->maxmem_mib[vm] < out->guestmem_mib) {
            append(m, "maxmem=%u for vm%u is below guestmem=%u, what it starts with", out->maxmem_mib[vm], vm,
                   out->guestmem_mib);
            return false;
        }
    }
    return true;
}

/* resident= (issue 20): the hypervisor's paging needs EPT (its entries
 * are what it takes away), a guest at ring 0 in VMX (cpu=hvm) and the
 * virtual devices (a page-in's end is one of the VM's timer events); for
 * VMs there are, each fewer pages than its RAM. */
static bool resolve_resident(const struct hv_options *out, struct message *m)
{
    for (unsigned vm = 0; vm < OPTIONS_VMS_MAX; vm++) {
        unsigned pages = out->resident_pages[vm];
        if (!pages)
            continue;
        if (out->cpu != CPU_HVM || out->mem != MEM_EPT || out->devices != DEVICES_VIRTUAL) {
            append(m, "resident= needs cpu=hvm, mem=ept and devices=virtual: the hypervisor pages a VM "
                   "through its EPT, and a page-in's end is one of the VM's timer events");
            return false;
        }
        if (vm >= out->vms) {
            append(m, "resident= names vm%u, and vms=%u", vm, out->vms);
            return false;
        }
        if (pages >= out->guestmem_mib * 256u) {
            append(m, "resident=%u for vm%u is all of its guestmem=%u (%u pages): nothing would be paged",
                   pages, vm, out->guestmem_mib, out->guestmem_mib * 256u);
            return false;
        }
    }
    return true;
}

bool options_parse(const char *cmdline, struct hv_options *out, char *err, size_t errlen)
{
    struct message m = { err, errlen, 0 };
    if (errlen)
        err[0] = '\0';
    *out = defaults;
    bool first = true;
    for (const char *s = cmdline; *s; ) {
        if (is_space(*s)) {
            s++;
            continue;
        }
        size_t len = word_length(s);
        /* QEMU -kernel and the kit's loader put our own path first;
         * GRUB 2 passes only the arguments. A first word without '=' is
         * therefore the path, and any other word an option. */
        bool is_path = first && !find_equals(s, len);
        first = false;
        if (!is_path && !parse_word(s, len, out, &m))
            return false;
        s += len;
    }
    return resolve_pv(out, &m) && resolve_clocks(out, &m) && resolve_balloon(out, &m) && resolve_maxmem(out, &m) &&
           resolve_resident(out, &m);
}

const char *options_value_name(const char *option, unsigned value)
{
    const struct option_desc *o = find_option(option, strlen(option));
    if (!o || o->kind != KIND_CHOICE)
        return "?";
    for (unsigned i = 0; o->choices[i]; i++)
        if (i == value)
            return o->choices[i];
    return "?";
}
