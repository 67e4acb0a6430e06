/*
 * pipe.c: pipes, the guest's one form of IPC, and the file descriptors that
 * name their ends. A pipe is one page: counters and a ring buffer. Readers
 * sleep while it is empty, writers while it is full; read returns 0 (end of
 * file) once it is empty and every write end is closed.
 */
#include "defs.h"
#include "mmu.h"
#include "plat.h"

#define PIPE_SIZE (PGSIZE - 16)

struct pipe {
    uint32_t nread, nwrite;     /* bytes read and written so far */
    int readers, writers;       /* open descriptors of each end */
    char data[PIPE_SIZE];
};

static int free_fd(struct proc *p, int after)
{
    for (int fd = after + 1; fd < NOFILE; fd++)
        if (p->fds[fd].kind == FD_NONE)
            return fd;
    return -1;
}

int create_pipe(struct proc *p, int fds[2])
{
    fds[0] = free_fd(p, -1);
    fds[1] = fds[0] < 0 ? -1 : free_fd(p, fds[0]);
    struct pipe *pi = fds[1] < 0 ? NULL : kalloc();
    if (!pi)
        return -1;
    pi->readers = pi->writers = 1;
    p->fds[fds[0]] = (struct fd){FD_PIPE_READ, pi};
    p->fds[fds[1]] = (struct fd){FD_PIPE_WRITE, pi};
    return 0;
}

/* Read up to n bytes (at most 256 per call) into user buffer buf. */
int read_pipe(struct pipe *pi, struct proc *p, uint32_t buf, int n)
{
    char chunk[256];
    uint32_t flags = irq_save();
    while (pi->nread == pi->nwrite && pi->writers > 0)
        sleep_on(&pi->nread);
    int got = 0;
    while (got < n && got < (int)sizeof chunk && pi->nread != pi->nwrite)
        chunk[got++] = pi->data[pi->nread++ % PIPE_SIZE];
    wake_up(&pi->nwrite);
    irq_restore(flags);
    if (copy_to_user(p, buf, chunk, got) < 0)
        kill_process(p, 14, "bad pointer 0x%08x passed to read", buf);
    return got;
}

/* Write all n bytes of user buffer buf, waiting for room; -1 if no one
 * can read them any more. */
int write_pipe(struct pipe *pi, struct proc *p, uint32_t buf, int n)
{
    char chunk[256];
    for (int done = 0; done < n;) {
        int len = n - done < (int)sizeof chunk ? n - done : (int)sizeof chunk;
        if (copy_from_user(p, chunk, buf + done, len) < 0)
            kill_process(p, 14, "bad pointer 0x%08x passed to write", buf + done);
        uint32_t flags = irq_save();
        for (int i = 0; i < len; i++) {
            while (pi->nwrite - pi->nread == PIPE_SIZE && pi->readers > 0) {
                wake_up(&pi->nread);
                sleep_on(&pi->nwrite);
            }
            if (pi->readers == 0) {
                irq_restore(flags);
                return -1;
            }
            pi->data[pi->nwrite++ % PIPE_SIZE] = chunk[i];
        }
        wake_up(&pi->nread);
        irq_restore(flags);
        done += len;
    }
    return n;
}

/* Another descriptor now names f's pipe end (fork). */
void dup_fd(struct fd *f)
{
    uint32_t flags = irq_save();
    if (f->kind == FD_PIPE_READ)
        f->pipe->readers++;
    else if (f->kind == FD_PIPE_WRITE)
        f->pipe->writers++;
    irq_restore(flags);
}

void close_fd(struct fd *f)
{
    uint32_t flags = irq_save();
    struct pipe *pi = f->pipe;
    if (f->kind == FD_PIPE_READ)
        pi->readers--;
    else if (f->kind == FD_PIPE_WRITE)
        pi->writers--;
    if (pi) {
        wake_up(&pi->nread);
        wake_up(&pi->nwrite);
        if (pi->readers == 0 && pi->writers == 0)
            kfree(pi);
    }
    *f = (struct fd){FD_NONE, NULL};
    irq_restore(flags);
}
