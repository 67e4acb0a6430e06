/*
 * test_options.c: hv/boot/options.c, the command-line parser, with good command
 * lines, unknown options and bad values, and the exact messages the
 * hypervisor panics with.
 */
#include "unit.h"
#include "boot/options.h"
#include <stdio.h>
#include <string.h>

static struct hv_options o;
static char err[256];

static bool parse(const char *cmdline)
{
    memset(&o, 0xAA, sizeof(o));   /* prove the defaults are written */
    return options_parse(cmdline, &o, err, sizeof(err));
}

static void test_defaults(void **state)
{
    (void)state;
    assert_true(parse(""));
    assert_int_equal(o.mem, MEM_EPT);
    assert_int_equal(o.cpu, CPU_HVM);
    assert_string_equal(o.test, "");
    assert_int_equal(o.vms, 1);
    assert_int_equal(o.guestmem_mib, 64);
    assert_int_equal(o.fault, FAULT_NONE);
    assert_string_equal(err, "");
}

static void test_kernel_path_first_word_is_skipped(void **state)
{
    (void)state;
    assert_true(parse("/boot/hv.elf mem=shadow"));   /* QEMU -kernel style */
    assert_int_equal(o.mem, MEM_SHADOW);
    assert_true(parse("hv.elf"));
    assert_int_equal(o.mem, MEM_EPT);
}

static void test_first_word_with_equals_is_an_option(void **state)
{
    (void)state;
    assert_true(parse("mem=shadow cpu=deprivileged"));   /* GRUB 2 style */
    assert_int_equal(o.mem, MEM_SHADOW);
    assert_int_equal(o.cpu, CPU_DEPRIVILEGED);
}

static void test_every_option(void **state)
{
    (void)state;
    assert_true(parse("/hv  mem=shadow\tcpu=deprivileged test=cpuid-1.b vms=4 guestmem=1024 fault=triplefault "));
    assert_int_equal(o.mem, MEM_SHADOW);
    assert_int_equal(o.cpu, CPU_DEPRIVILEGED);
    assert_string_equal(o.test, "cpuid-1.b");
    assert_int_equal(o.vms, 4);
    assert_int_equal(o.guestmem_mib, 1024);
    assert_int_equal(o.fault, FAULT_TRIPLEFAULT);
    assert_int_equal(o.scan, 0);
    assert_true(parse("hv scan=1 vmcheck=1"));
    assert_int_equal(o.scan, 1);
    assert_int_equal(o.vmcheck, 1);
    assert_true(parse("hv vmcheck=2"));
    assert_int_equal(o.vmcheck, 2);
    assert_false(parse("hv vmcheck=3"));
    assert_false(parse("hv scan=2"));
}

static void test_each_fault_value(void **state)
{
    (void)state;
    static const char *const names[] = { "none", "panic", "pagefault", "divide", "triplefault", "hang" };
    char line[64];
    for (unsigned i = 0; i < 6; i++) {
        snprintf(line, sizeof(line), "hv fault=%s", names[i]);
        assert_true(parse(line));
        assert_int_equal(o.fault, i);
        assert_string_equal(options_value_name("fault", o.fault), names[i]);
    }
}

static void test_devices_modes(void **state)
{
    (void)state;
    assert_true(parse("hv"));
    /* The tree's default (hv/hv.mk): virtual from lab 4 on, machine before. */
    assert_int_equal(o.devices, DEVICES_DEFAULT);
    assert_true(parse("hv devices=machine"));
    assert_int_equal(o.devices, DEVICES_MACHINE);
    assert_string_equal(options_value_name("devices", o.devices), "machine");
    assert_true(parse("hv devices=virtual"));
    assert_int_equal(o.devices, DEVICES_VIRTUAL);
    assert_string_equal(options_value_name("devices", o.devices), "virtual");
    assert_false(parse("hv devices=real"));
    assert_string_equal(err, "bad value 'real' for option devices (allowed: machine, virtual)");
}

/* tsc= and timer_mode=: the guest's TSC counts wall time, or stands still
 * with its VM's time; left out it follows timer_mode=, and a TSC running
 * on while the VM's time stands still is refused. */
static void test_tsc_modes(void **state)
{
    (void)state;
    assert_true(parse("hv devices=virtual"));
    assert_int_equal(o.tsc, TSC_WALL);                 /* the default */
    assert_int_equal(o.sched_trace, 0);
    assert_true(parse("hv devices=virtual timer_mode=delay"));
    assert_int_equal(o.tsc, TSC_RUN);                  /* delay's default */
    assert_string_equal(options_value_name("tsc", o.tsc), "run");
    assert_true(parse("hv devices=virtual timer_mode=delay tsc=run"));
    assert_int_equal(o.tsc, TSC_RUN);
    const char *policies[] = { "catchup", "merge", "discard" };
    for (unsigned i = 0; i < 3; i++) {
        char line[80];
        snprintf(line, sizeof(line), "hv devices=virtual timer_mode=%s tsc=run", policies[i]);
        assert_true(parse(line));
        assert_int_equal(o.tsc, TSC_RUN);              /* wall-time ticks, a run-time TSC */
        snprintf(line, sizeof(line), "hv devices=virtual timer_mode=%s tsc=wall", policies[i]);
        assert_true(parse(line));
        assert_int_equal(o.tsc, TSC_WALL);
    }
    assert_true(parse("hv devices=machine timer_mode=delay"));  /* neither is used */
    assert_false(parse("hv devices=virtual tsc=wall timer_mode=delay"));
    assert_string_equal(err, "tsc=wall contradicts timer_mode=delay: delay stops the VM's time while another "
                        "VM runs, and its TSC would run on ahead of its ticks (use tsc=run, delay's default)");
    assert_false(parse("hv devices=machine tsc=run"));
    assert_string_equal(err, "tsc=run needs devices=virtual: with the machine's PIT and PIC the VMs run one "
                        "after the other, and none waits for the CPU while its TSC could stand still");
    assert_false(parse("hv devices=virtual tsc=cpu"));
    assert_string_equal(err, "bad value 'cpu' for option tsc (allowed: wall, run)");
    assert_true(parse("hv devices=virtual vms=2 sched_trace=1"));
    assert_int_equal(o.sched_trace, 1);
    assert_false(parse("hv sched_trace=2"));
    assert_true(parse("hv fill_free=171"));
    assert_int_equal(o.fill_free, 171);
    assert_false(parse("hv fill_free=256"));
    assert_true(parse("hv cpu=pv dpcheck=64"));
    assert_int_equal(o.dpcheck, 64);
    assert_false(parse("hv dpcheck=1000001"));
    assert_true(parse("hv run_for=3"));
    assert_int_equal(o.run_for, 3);
    assert_false(parse("hv run_for=3601"));
}

static void test_gdb_modes(void **state)
{
    (void)state;
    assert_true(parse("hv"));
    assert_int_equal(o.gdb, GDB_OFF);            /* off unless asked for */
    assert_true(parse("hv gdb=hv"));
    assert_int_equal(o.gdb, GDB_HV);
    assert_true(parse("hv gdb=guest"));
    assert_int_equal(o.gdb, GDB_GUEST);
    assert_string_equal(options_value_name("gdb", o.gdb), "guest");
    assert_false(parse("hv gdb=qemu"));
    assert_string_equal(err, "bad value 'qemu' for option gdb (allowed: off, hv, guest)");
}

/* cpu=pv (lab 5) implies mem=direct and devices=virtual; either of them
 * given otherwise is refused by name, and mem=direct belongs to cpu=pv. */
static void test_pv_mode(void **state)
{
    (void)state;
    assert_true(parse("hv cpu=pv"));
    assert_int_equal(o.cpu, CPU_PV);
    assert_int_equal(o.mem, MEM_DIRECT);
    assert_int_equal(o.devices, DEVICES_VIRTUAL);
    assert_true(o.devices_chosen);                 /* refused on a CPU without it, not fallen back from */
    assert_string_equal(options_value_name("mem", o.mem), "direct");
    assert_string_equal(options_value_name("cpu", o.cpu), "pv");
    assert_true(parse("hv mem=direct cpu=pv devices=virtual"));
    assert_int_equal(o.mem, MEM_DIRECT);
    assert_true(parse("hv cpu=pv timer_mode=delay"));
    assert_int_equal(o.tsc, TSC_RUN);               /* clocks resolved after devices= */
    assert_false(parse("hv cpu=pv mem=ept"));
    assert_string_equal(err, "cpu=pv contradicts mem=ept: a PV guest's own page tables are the CPU's "
                        "(direct paging, mem=direct, implied by cpu=pv)");
    assert_false(parse("hv mem=shadow cpu=pv"));
    assert_string_equal(err, "cpu=pv contradicts mem=shadow: a PV guest's own page tables are the CPU's "
                        "(direct paging, mem=direct, implied by cpu=pv)");
    assert_false(parse("hv cpu=pv devices=machine"));
    assert_string_equal(err, "cpu=pv contradicts devices=machine: a PV guest's time, events and console "
                        "are the hypervisor's virtual devices (devices=virtual, implied by cpu=pv)");
    assert_false(parse("hv mem=direct"));
    assert_string_equal(err, "mem=direct needs cpu=pv: only a paravirtual kernel asks the hypervisor to "
                        "validate its page tables (direct paging); any other kernel writes them itself");
    assert_false(parse("hv mem=direct cpu=deprivileged"));
    assert_true(parse("hv cpu=pv cpu=hvm"));        /* the later wins: then mem stays ept */
    assert_int_equal(o.mem, MEM_EPT);
}

static void test_later_option_wins(void **state)
{
    (void)state;
    assert_true(parse("hv vms=2 vms=3"));
    assert_int_equal(o.vms, 3);
}

static void test_unknown_option(void **state)
{
    (void)state;
    assert_false(parse("/boot/hv.elf mem=ept x=1"));
    assert_string_equal(err, "unknown option 'x' (known: mem, cpu, test, vms, guestmem, fault, vmcs_break, vmcs_break_at, vmcheck, scan, patch, bt, shadows, gdb, devices, quantum, timer_mode, tsc, sched_trace, fill_free, run_for, dpcheck, balloon, maxmem, resident, pagein)");
    assert_false(parse("hv memory=ept"));   /* a prefix match is no match */
    assert_string_equal(err, "unknown option 'memory' (known: mem, cpu, test, vms, guestmem, fault, vmcs_break, vmcs_break_at, vmcheck, scan, patch, bt, shadows, gdb, devices, quantum, timer_mode, tsc, sched_trace, fill_free, run_for, dpcheck, balloon, maxmem, resident, pagein)");
    assert_false(parse("hv verbose"));
    assert_string_equal(err, "unknown option 'verbose' (known: mem, cpu, test, vms, guestmem, fault, vmcs_break, vmcs_break_at, vmcheck, scan, patch, bt, shadows, gdb, devices, quantum, timer_mode, tsc, sched_trace, fill_free, run_for, dpcheck, balloon, maxmem, resident, pagein)");
}

static void test_bad_choice(void **state)
{
    (void)state;
    assert_false(parse("hv mem=foo"));
    assert_string_equal(err, "bad value 'foo' for option mem (allowed: ept, shadow, direct)");
    assert_false(parse("hv cpu=HVM"));   /* values are case-sensitive */
    assert_string_equal(err, "bad value 'HVM' for option cpu (allowed: hvm, deprivileged, pv)");
    assert_false(parse("hv fault=crash"));
    assert_string_equal(err, "bad value 'crash' for option fault "
                             "(allowed: none, panic, pagefault, divide, triplefault, hang)");
}

static void test_missing_value(void **state)
{
    (void)state;
    assert_false(parse("hv mem"));
    assert_string_equal(err, "bad value '' for option mem (allowed: ept, shadow, direct)");
    assert_false(parse("hv mem="));
    assert_string_equal(err, "bad value '' for option mem (allowed: ept, shadow, direct)");
}

static void test_bad_numbers(void **state)
{
    (void)state;
    assert_false(parse("hv vms=0"));
    assert_string_equal(err, "bad value '0' for option vms (allowed: 1..4)");
    assert_false(parse("hv vms=5"));
    assert_false(parse("hv vms=2x"));
    assert_false(parse("hv vms=-1"));
    assert_false(parse("hv vms=99999999999999"));
    assert_false(parse("hv guestmem=3"));
    assert_string_equal(err, "bad value '3' for option guestmem (allowed: 4..1024)");
    assert_true(parse("hv guestmem=4"));
    assert_int_equal(o.guestmem_mib, 4);
}

static void test_bad_test_names(void **state)
{
    (void)state;
    assert_false(parse("hv test=a/b"));
    assert_string_equal(err, "bad value 'a/b' for option test "
                             "(allowed: 1 to 63 letters, digits, '_', '-', '.' or ',')");
    assert_true(parse("hv test=cow,timer"));
    assert_string_equal(o.test, "cow,timer");
    char line[128] = "hv test=";
    memset(line + 8, 'a', 64);   /* one too long */
    line[72] = '\0';
    assert_false(parse(line));
    line[71] = '\0';             /* 63: just fits */
    assert_true(parse(line));
    assert_int_equal(strlen(o.test), 63);
}

static void test_small_error_buffer_is_safe(void **state)
{
    (void)state;
    char small[12];
    assert_false(options_parse("hv x=1", &o, small, sizeof(small)));
    assert_string_equal(small, "unknown opt");
}

/* balloon=: the targets reach struct hv_options; a bad one is refused
 * with the grammar in the message (boot/balloon_targets.c has its own test). */
static void test_balloon(void **state)
{
    (void)state;
    assert_true(parse("hv"));
    assert_int_equal(o.balloon.steps[0], 0);
    assert_false(parse("hv balloon=8"));
    assert_string_equal(err, "balloon= needs cpu=pv: only a paravirtual kernel has a balloon driver to ask");
    assert_false(parse("hv cpu=pv balloon=-/12"));
    assert_string_equal(err, "balloon= names vm1, and vms=1");
    assert_true(parse("hv cpu=pv vms=2 balloon=-/12"));
    assert_true(parse("hv cpu=pv vms=3 balloon=8,16@200/-/12"));
    assert_int_equal(o.balloon.steps[0], 2);
    assert_int_equal(o.balloon.step[0][1].mib, 16);
    assert_int_equal(o.balloon.step[0][1].at_ms, 200);
    assert_int_equal(o.balloon.steps[1], 0);
    assert_int_equal(o.balloon.steps[2], 1);
    assert_false(parse("hv balloon=8@200,16@100"));
    assert_string_equal(err, "bad value '8@200,16@100' for option balloon (allowed: MiB[@ms][,MiB@ms...] or '-' "
                             "for each VM, '/' between VMs, at most 4 steps a VM, 1..1024 MiB, times increasing: "
                             "8,16@200/-/12)");
}

/* maxmem=: one MiB or '-' per VM; below guestmem, without cpu=pv, for a
 * VM there is not: refused; a VM it does not name grows to guestmem. */
static void test_maxmem(void **state)
{
    (void)state;
    assert_true(parse("hv cpu=pv vms=2 guestmem=16 maxmem=-/24"));
    assert_int_equal(o.maxmem_mib[0], 16);
    assert_int_equal(o.maxmem_mib[1], 24);
    assert_true(parse("hv cpu=pv maxmem=96"));
    assert_int_equal(o.maxmem_mib[0], 96);
    assert_int_equal(o.maxmem_mib[1], 64);
    assert_false(parse("hv maxmem=96"));
    assert_string_equal(err, "maxmem= needs cpu=pv: only a paravirtual kernel has a balloon to grow past its start");
    assert_false(parse("hv cpu=pv maxmem=-/96"));
    assert_string_equal(err, "maxmem= names vm1, and vms=1");
    assert_false(parse("hv cpu=pv guestmem=32 maxmem=16"));
    assert_string_equal(err, "maxmem=16 for vm0 is below guestmem=32, what it starts with");
    assert_false(parse("hv cpu=pv maxmem=961"));
    assert_string_equal(err, "bad value '961' for option maxmem (allowed: 4..960 or '-' for each VM, '/' between "
                             "VMs, at most 4 VMs: -/96)");
    assert_false(parse("hv cpu=pv vms=4 maxmem=8/8/8/8/8"));
    assert_false(parse("hv cpu=pv maxmem=8/"));
    assert_false(parse("hv cpu=pv maxmem=/8"));
    assert_false(parse("hv cpu=pv maxmem="));
}

/* resident= and pagein= (issue 20: the hypervisor pages a VM). devices=
 * is named where the check must pass it: its default is machine in the
 * trees of labs 1-4 (mk/lab.mk). */
static void test_resident(void **state)
{
    (void)state;
    assert_true(parse("hv guestmem=8"));
    assert_int_equal(o.resident_pages[0], 0);
    assert_int_equal(o.pagein_kcycles, 500);
    assert_true(parse("hv vms=2 guestmem=8 devices=virtual resident=-/768 pagein=100"));
    assert_int_equal(o.resident_pages[0], 0);
    assert_int_equal(o.resident_pages[1], 768);
    assert_int_equal(o.pagein_kcycles, 100);
    assert_false(parse("hv mem=shadow resident=512"));
    assert_string_equal(err, "resident= needs cpu=hvm, mem=ept and devices=virtual: the hypervisor pages a VM "
                             "through its EPT, and a page-in's end is one of the VM's timer events");
    assert_false(parse("hv cpu=pv resident=512"));
    assert_false(parse("hv devices=machine resident=512"));
    assert_false(parse("hv devices=virtual resident=512/512"));
    assert_string_equal(err, "resident= names vm1, and vms=1");
    assert_false(parse("hv guestmem=8 devices=virtual resident=2048"));
    assert_string_equal(err, "resident=2048 for vm0 is all of its guestmem=8 (2048 pages): nothing would be paged");
    assert_true(parse("hv guestmem=8 devices=virtual resident=2047"));
    assert_false(parse("hv resident=63"));
    assert_false(parse("hv pagein=0"));
}

static void test_value_names(void **state)
{
    (void)state;
    assert_string_equal(options_value_name("mem", MEM_SHADOW), "shadow");
    assert_string_equal(options_value_name("cpu", CPU_HVM), "hvm");
    assert_string_equal(options_value_name("mem", 7), "?");
    assert_string_equal(options_value_name("vms", 1), "?");   /* not a choice */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_kernel_path_first_word_is_skipped),
        cmocka_unit_test(test_first_word_with_equals_is_an_option),
        cmocka_unit_test(test_every_option),
        cmocka_unit_test(test_each_fault_value),
        cmocka_unit_test(test_gdb_modes),
        cmocka_unit_test(test_devices_modes),
        cmocka_unit_test(test_tsc_modes),
        cmocka_unit_test(test_pv_mode),
        cmocka_unit_test(test_later_option_wins),
        cmocka_unit_test(test_unknown_option),
        cmocka_unit_test(test_bad_choice),
        cmocka_unit_test(test_missing_value),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_bad_test_names),
        cmocka_unit_test(test_small_error_buffer_is_safe),
        cmocka_unit_test(test_value_names),
        cmocka_unit_test(test_balloon),
        cmocka_unit_test(test_maxmem),
        cmocka_unit_test(test_resident),
    };
    return RUN_UNIT_TESTS("options", tests);
}
