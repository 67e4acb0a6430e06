/*
 * pv_console.c: console_io (lib/pv_abi.h section 7; 64-bit, VMX root): the
 * guest's console output as a hypercall. Its bytes go to the VM's console
 * line relay, the one its COM1 writes (exit/console.h): the same tag and
 * quoting, so that the harnesses read its TEST, BENCH and POWEROFF lines
 * as they read a COM1 guest's, and a PV line can pass for the hypervisor's
 * no more than a COM1 line can.
 */
#include "exit/console.h"
#include "exit/vm_devices.h"
#include "guest/vm.h"
#include "pv/guest_copy.h"
#include "pv/console_ring.h"
#include "pv/pv_console.h"
#include "pv/pv_domain.h"
#include "printf.h"
#include "pv_abi.h"

#define CONSOLE_IO_MAX 4096u     /* bytes a call (lib/pv_abi.h) */
#define CHUNK 256u

/* The buffer, chunk by chunk, to the relay (emit) or nowhere (a check). */
static int32_t pass_over(struct vcpu *v, uint32_t buf, uint32_t count, bool emit)
{
    uint8_t bytes[CHUNK];
    for (uint32_t done = 0; done < count; ) {
        uint32_t n = count - done < CHUNK ? count - done : CHUNK;
        if (copy_from_guest(v, bytes, buf + done, n))
            return -PV_EFAULT;
        for (uint32_t i = 0; emit && i < n; i++)
            console_guest_byte(&v->vm->devices->console, bytes[i]);
        done += n;
    }
    return (int32_t)count;
}

/* A read: typed input, the same bytes the console ring's in[] holds (what
 * was typed and is not in the ring yet goes there first), taken from its
 * in_cons as the guest's own ring reader takes them: one stream, read
 * either way. At most CHUNK bytes a call; none if nothing was typed (the
 * buffer then is not touched). A buffer it cannot write is -PV_EFAULT and
 * the bytes stay for the next read. */
static int32_t read_input(struct vcpu *v, uint32_t count, uint32_t buf)
{
    struct pv_console *ring = pv_of(v)->console;
    char bytes[CHUNK];
    if (!ring)
        return 0;
    pv_console_feed(v);
    size_t n = console_ring_peek(ring, bytes, count < CHUNK ? count : CHUNK);
    if (n && copy_to_guest(v, buf, bytes, n))
        return -PV_EFAULT;
    console_ring_consume(ring, n);
    return (int32_t)n;
}

/* console_io(cmd, count, buf *). A write reads the whole buffer once
 * before its first byte goes out: a buffer the guest cannot read is
 * -PV_EFAULT with nothing written (a failed call changes nothing, section
 * 2). A read takes typed input (read_input). */
int32_t pv_console_io(struct vcpu *v, const uint32_t *args)
{
    uint32_t cmd = args[0], count = args[1], buf = args[2];
    if (cmd == PV_CONSOLEIO_read)
        return read_input(v, count, buf);
    if (cmd != PV_CONSOLEIO_write)
        return -PV_EINVAL;
    if (count > CONSOLE_IO_MAX)
        return -PV_EINVAL;
    int32_t readable = pass_over(v, buf, count, false);
    return readable < 0 ? readable : pass_over(v, buf, count, true);
}

void pv_console_drain(struct vcpu *v)
{
    struct pv_domain *pv = pv_of(v);
    if (!pv || !pv->console)
        return;
    char bytes[CHUNK];
    int broken = 0, any_broken = 0;
    for (size_t n; (n = console_ring_take(pv->console, bytes, sizeof(bytes), &broken)) != 0; ) {
        any_broken |= broken;
        for (size_t i = 0; i < n; i++)
            console_guest_byte(&v->vm->devices->console, (uint8_t)bytes[i]);
    }
    if (any_broken)
        printf("hv: %sconsole ring: its producer was more than the ring's %u bytes ahead of its "
               "consumer; the ring's bytes were taken and the rest skipped\n", v->guest->tag,
               (unsigned)sizeof(pv->console->out));
}

void pv_console_feed(struct vcpu *v)
{
    struct pv_domain *pv = pv_of(v);
    struct vm_input *in = &v->vm->devices->input;
    uint64_t before = in->ring_fed;
    while (in->ring_fed < in->typed &&
           console_ring_put(pv->console, (const char *)&in->buffer[in->ring_fed % VM_INPUT_BUFFER], 1))
        in->ring_fed++;
    /* The event only while the port is still the console's: a guest that
     * closed it may have bound its number to something else since. */
    if (in->ring_fed != before && pv->evtchn.bound[pv->console_port] == EVTCHN_CONSOLE)
        evtchn_set_pending(&pv->evtchn, pv->console_port);
}
