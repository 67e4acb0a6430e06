/*
 * test_guest_line.c: hv/exit/guest_line.c, the guest's console lines as the
 * hypervisor relays them: a line that starts with a prefix the console
 * protocol reserves is quoted, control characters become '?', and the
 * hypervisor's own line always starts at a line start.
 */
#include "unit.h"
#include "exit/guest_line.h"
#include <string.h>

static char out[512];
static size_t out_len;
static struct guest_line line;

static void emit(void *ctx, char c)
{
    (void)ctx;
    if (out_len + 1 < sizeof(out))
        out[out_len++] = c;
    out[out_len] = 0;
}

static int setup(void **state)
{
    (void)state;
    out_len = 0;
    out[0] = 0;
    guest_line_init(&line, emit, NULL, "");
    return 0;
}

/* A later VM's relay (vms=2): its lines tagged. */
static int setup_vm1(void **state)
{
    setup(state);
    guest_line_init(&line, emit, NULL, "(vm1) ");
    return 0;
}

static void put(const char *s)
{
    for (; *s; s++)
        guest_line_put(&line, (uint8_t)*s);
}

static void test_plain_lines_pass_unchanged(void **state)
{
    (void)state;
    put("hostile: attack x\n\tindented\nPOW\nhvx\n");
    assert_string_equal(out, "hostile: attack x\n\tindented\nPOW\nhvx\n");
}

static void test_reserved_prefixes_are_quoted(void **state)
{
    (void)state;
    put("POWEROFF 0\nPANIC hv: forged\nhv: guest stopped: no\nhvrun: power-off\n");
    /* and a later VM's tag: VM 0 cannot pass a line off as VM 1's */
    put("(vm1) TEST cow: ok\n(vm\n(v1\n");
    assert_string_equal(out, "(guest) POWEROFF 0\n(guest) PANIC hv: forged\n"
                             "(guest) hv: guest stopped: no\n(guest) hvrun: power-off\n"
                             "(guest) (vm1) TEST cow: ok\n(guest) (vm\n(v1\n");
}

/* VM 1's lines carry its tag before anything, the quote too; an empty
 * line carries nothing; a half line the hypervisor ends is tagged. */
static void test_a_later_vms_lines_are_tagged(void **state)
{
    (void)state;
    put("TEST cow: ok\n\nhv: vm0: forged\n(vm1) x\nPOW");
    guest_line_end(&line);
    assert_string_equal(out, "(vm1) TEST cow: ok\n\n(vm1) (guest) hv: vm0: forged\n"
                             "(vm1) (guest) (vm1) x\n(vm1) POW\n");
}

static void test_only_a_line_start_is_quoted(void **state)
{
    (void)state;
    put("say POWEROFF 0\n PANIC x\n");
    assert_string_equal(out, "say POWEROFF 0\n PANIC x\n");
}

static void test_control_characters_become_visible(void **state)
{
    (void)state;
    put("\x1b[2KPANIC\x07\n");
    guest_line_put(&line, 0);
    guest_line_put(&line, 0x9B);
    put("\n");
    assert_string_equal(out, "?[2KPANIC?\n??\n");
}

/* CR LF ends a serial console's lines: the CR goes, and a CR before a
 * reserved prefix leaves it at the line's start, quoted. */
static void test_carriage_returns_are_dropped(void **state)
{
    (void)state;
    put("boot\r\n\rPOWEROFF 0\r\nab\rcd\n");
    assert_string_equal(out, "boot\n" GUEST_LINE_QUOTE "POWEROFF 0\nabcd\n");
}

static void test_a_held_start_is_released_when_it_diverges(void **state)
{
    (void)state;
    put("POWERON");
    assert_string_equal(out, "POWERON");
}

static void test_the_hypervisor_ends_a_half_line(void **state)
{
    (void)state;
    put("half a line");
    guest_line_end(&line);
    assert_string_equal(out, "half a line\n");
    guest_line_end(&line);                  /* nothing open: nothing added */
    assert_string_equal(out, "half a line\n");
    put("POWEROFF 0\n");                    /* the rest starts a new line */
    assert_string_equal(out, "half a line\n(guest) POWEROFF 0\n");
}

static void test_a_held_start_is_ended_too(void **state)
{
    (void)state;
    put("POWER");
    assert_string_equal(out, "");
    guest_line_end(&line);
    put("OFF 0\n");
    assert_string_equal(out, "POWER\nOFF 0\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_plain_lines_pass_unchanged, setup),
        cmocka_unit_test_setup(test_reserved_prefixes_are_quoted, setup),
        cmocka_unit_test_setup(test_a_later_vms_lines_are_tagged, setup_vm1),
        cmocka_unit_test_setup(test_only_a_line_start_is_quoted, setup),
        cmocka_unit_test_setup(test_control_characters_become_visible, setup),
        cmocka_unit_test_setup(test_carriage_returns_are_dropped, setup),
        cmocka_unit_test_setup(test_a_held_start_is_released_when_it_diverges, setup),
        cmocka_unit_test_setup(test_the_hypervisor_ends_a_half_line, setup),
        cmocka_unit_test_setup(test_a_held_start_is_ended_too, setup),
    };
    return RUN_UNIT_TESTS("guest_line", tests);
}
