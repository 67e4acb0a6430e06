/*
 * entry_report.c: the VM-entry checker at work on the real, current VMCS.
 * entry_check.c is pure (it reads fields through a function and reports
 * through another, so the host unit tests run it on a synthetic VMCS); this
 * file gives it VMREAD and the console.
 */
#include "check/entry_report.h"
#include "check/entry_check.h"
#include "printf.h"
#include "check/vmcs_breaks.h"
#include "vmx/vmx.h"

/* A field this CPU does not have reads as 0, as on a CPU without it. */
static uint64_t read_current(void *ctx, unsigned field)
{
    (void)ctx;
    uint64_t value = 0;
    vmread_checked(field, &value);
    return value;
}

static void print_violation(void *ctx, const struct entry_violation *v)
{
    (void)ctx;
    char line[400];
    entry_violation_format(line, sizeof(line), v);
    printf("%s\n", line);
}

unsigned entry_report_broken(const struct vmx_caps *caps)
{
    return entry_check(caps, read_current, NULL, print_violation, NULL);
}

unsigned entry_report(const struct vmx_caps *caps)
{
    unsigned broken = entry_report_broken(caps);
    if (!broken)
        printf("hv: VM-entry check: the VMCS passes every check the checker knows\n");
    return broken;
}

static void write_current(void *ctx, unsigned field, uint64_t value)
{
    (void)ctx;
    vmwrite_checked(field, value);
}

void vmcs_break_current(const struct vmcs_break *b)
{
    printf("hv: vmcs_break=%s: %s\n", b->name, b->what);
    vmcs_break_apply(b, read_current, write_current, NULL);
}
