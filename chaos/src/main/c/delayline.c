/*
 * delayline: a slow network for kernels without sch_netem, in user space.
 *
 * Packets that an iptables rule sends to NFQUEUE queue N are held here and let go later: each
 * one is dropped with probability loss %, or accepted at arrival + delay + uniform(-jitter,
 * +jitter) (never before its arrival). Only verdicts cross into user space, never payloads,
 * so the cost per packet is one netlink message each way.
 *
 * One thread, one loop: ppoll() on the queue's socket until the earliest held packet is due,
 * then the verdicts that are due, then the packets that arrived. The held packets are a
 * min-heap on (due time, arrival order), so packets with equal delays leave in the order they
 * came.
 *
 * On SIGTERM or SIGINT (and, with --exit-on-stdin-eof, when whoever started it goes away) every
 * held packet is accepted at once, so stopping the fault never loses traffic. The queue is set
 * to fail open: when it is full the kernel accepts packets rather than dropping them. The iptables
 * rule should carry --queue-bypass, so that traffic flows when no delay line is bound.
 *
 * Build: gcc -O2 -Wall -Wextra -o delayline delayline.c -lnetfilter_queue
 * Run:   delayline --queue N --delay-ms D --jitter-ms J --loss-percent P --seed S
 *
 * The line "delayline: queue N, delay D ms ± J ms, loss P %" goes to stderr once the queue is
 * bound, so whoever starts it knows from that line on that the rule can be added. Exit status:
 * 0 after a signal or end of stdin, 1 when the queue cannot be bound or read, 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#ifndef NFQA_CFG_F_FAIL_OPEN
#define NFQA_CFG_F_FAIL_OPEN (1 << 0)
#endif
#ifndef NFQA_CFG_F_GSO
#define NFQA_CFG_F_GSO (1 << 2)
#endif

/* Large enough that a burst at line rate under a long delay does not reach the fail-open path. */
#define QUEUE_MAX_LEN 20000u
#define RECEIVE_BUFFER_BYTES (16 * 1024 * 1024)
/* Packets read per turn of the loop, so that due verdicts are never starved by a flood. */
#define READS_PER_TURN 256

struct held {
    uint64_t due_ns;
    uint64_t order;
    uint32_t id;
};

struct heap {
    struct held *items;
    size_t size;
    size_t capacity;
};

struct line {
    struct nfq_q_handle *queue;
    struct heap held;
    uint64_t arrivals;
    uint64_t delay_ns;
    uint64_t jitter_ns;
    double loss_fraction;
    uint64_t rng;
    unsigned long dropped;
    unsigned long accepted;
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* splitmix64: small, fast, and the same sequence for the same seed on every machine. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double next_unit(uint64_t *state)
{
    return (double)(next_random(state) >> 11) * (1.0 / 9007199254740992.0);
}

static int earlier(const struct held *a, const struct held *b)
{
    return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->order < b->order);
}

static int heap_push(struct heap *h, struct held item)
{
    if (h->size == h->capacity) {
        size_t capacity = h->capacity ? h->capacity * 2 : 1024;
        struct held *items = realloc(h->items, capacity * sizeof *items);
        if (!items) {
            return -1;
        }
        h->items = items;
        h->capacity = capacity;
    }
    size_t i = h->size++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(&item, &h->items[parent])) {
            break;
        }
        h->items[i] = h->items[parent];
        i = parent;
    }
    h->items[i] = item;
    return 0;
}

static struct held heap_pop(struct heap *h)
{
    struct held top = h->items[0];
    struct held last = h->items[--h->size];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->size) {
            break;
        }
        if (child + 1 < h->size && earlier(&h->items[child + 1], &h->items[child])) {
            child++;
        }
        if (!earlier(&h->items[child], &last)) {
            break;
        }
        h->items[i] = h->items[child];
        i = child;
    }
    if (h->size > 0) {
        h->items[i] = last;
    }
    return top;
}

static void verdict(struct line *line, uint32_t id, uint32_t what)
{
    /* ENOENT means the kernel let go of the packet already (its device went away); nothing to do. */
    if (nfq_set_verdict(line->queue, id, what, 0, NULL) < 0 && errno != ENOENT) {
        fprintf(stderr, "delayline: verdict for packet %" PRIu32 " failed: %s\n", id, strerror(errno));
    }
    if (what == NF_DROP) {
        line->dropped++;
    } else {
        line->accepted++;
    }
}

static int on_packet(struct nfq_q_handle *queue, struct nfgenmsg *message, struct nfq_data *packet, void *data)
{
    (void)queue;
    (void)message;
    struct line *line = data;
    struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(packet);
    if (!header) {
        return 0;
    }
    uint32_t id = ntohl(header->packet_id);
    if (line->loss_fraction > 0 && next_unit(&line->rng) < line->loss_fraction) {
        verdict(line, id, NF_DROP);
        return 0;
    }
    uint64_t arrived = now_ns();
    int64_t offset = (int64_t)line->delay_ns;
    if (line->jitter_ns > 0) {
        offset += (int64_t)((next_unit(&line->rng) * 2.0 - 1.0) * (double)line->jitter_ns);
    }
    struct held item = {
        .due_ns = arrived + (uint64_t)(offset > 0 ? offset : 0),
        .order = line->arrivals++,
        .id = id,
    };
    if (heap_push(&line->held, item) < 0) {
        /* Out of memory: let the packet through now rather than lose track of it. */
        verdict(line, id, NF_ACCEPT);
    }
    return 0;
}

static void release_due(struct line *line, uint64_t now)
{
    while (line->held.size > 0 && line->held.items[0].due_ns <= now) {
        verdict(line, heap_pop(&line->held).id, NF_ACCEPT);
    }
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: delayline --queue N --delay-ms D [--jitter-ms J] [--loss-percent P] [--seed S]\n"
            "                 [--exit-on-stdin-eof]\n"
            "Holds the packets of NFQUEUE queue N for D ms ± J ms and drops P %% of them.\n");
}

static int parse_number(const char *name, const char *text, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(value >= min && value <= max)) {
        fprintf(stderr, "delayline: %s must be a number from %g to %g, not '%s'\n", name, min, max, text);
        return -1;
    }
    *out = value;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"queue", required_argument, NULL, 'q'},
        {"delay-ms", required_argument, NULL, 'd'},
        {"jitter-ms", required_argument, NULL, 'j'},
        {"loss-percent", required_argument, NULL, 'l'},
        {"seed", required_argument, NULL, 's'},
        {"exit-on-stdin-eof", no_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    double queue_number = -1, delay_ms = -1, jitter_ms = 0, loss_percent = 0;
    uint64_t seed = 1;
    int watch_stdin = 0;
    int option;
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (option) {
        case 'q':
            if (parse_number("--queue", optarg, 0, 65535, &queue_number) < 0) {
                return 2;
            }
            break;
        case 'd':
            if (parse_number("--delay-ms", optarg, 0, 3600000, &delay_ms) < 0) {
                return 2;
            }
            break;
        case 'j':
            if (parse_number("--jitter-ms", optarg, 0, 3600000, &jitter_ms) < 0) {
                return 2;
            }
            break;
        case 'l':
            if (parse_number("--loss-percent", optarg, 0, 100, &loss_percent) < 0) {
                return 2;
            }
            break;
        case 's': {
            char *end;
            errno = 0;
            long long value = strtoll(optarg, &end, 0);
            if (errno != 0 || end == optarg || *end != '\0') {
                fprintf(stderr, "delayline: --seed must be an integer, not '%s'\n", optarg);
                return 2;
            }
            seed = (uint64_t)value;
            break;
        }
        case 'e':
            watch_stdin = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || queue_number < 0 || delay_ms < 0 || queue_number != (double)(uint16_t)queue_number) {
        fprintf(stderr, "delayline: --queue (an integer) and --delay-ms are required\n");
        usage(stderr);
        return 2;
    }

    struct line line = {
        .delay_ns = (uint64_t)(delay_ms * 1e6),
        .jitter_ns = (uint64_t)(jitter_ms * 1e6),
        .loss_fraction = loss_percent / 100.0,
        .rng = seed,
    };

    /* Signals stay blocked except inside ppoll, so a stop request never slips in between
       checking the flag and going to sleep. */
    sigset_t stop_signals, wait_mask;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_signals, &wait_mask);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* The default timer slack (50 us) is noise next to millisecond delays, but costs nothing to drop. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

    struct nfq_handle *handle = nfq_open();
    if (!handle) {
        fprintf(stderr, "delayline: cannot open a netfilter queue handle: %s\n", strerror(errno));
        return 1;
    }
    line.queue = nfq_create_queue(handle, (uint16_t)queue_number, on_packet, &line);
    if (!line.queue) {
        fprintf(stderr, "delayline: cannot bind queue %.0f (already bound by another process?): %s\n", queue_number,
                strerror(errno));
        nfq_close(handle);
        return 1;
    }
    if (nfq_set_mode(line.queue, NFQNL_COPY_META, 0) < 0) {
        fprintf(stderr, "delayline: cannot set the copy mode of queue %.0f: %s\n", queue_number, strerror(errno));
        nfq_destroy_queue(line.queue);
        nfq_close(handle);
        return 1;
    }
    if (nfq_set_queue_maxlen(line.queue, QUEUE_MAX_LEN) < 0) {
        fprintf(stderr, "delayline: warning: cannot raise the queue length to %u: %s\n", QUEUE_MAX_LEN,
                strerror(errno));
    }
    if (nfq_set_queue_flags(line.queue, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN) < 0) {
        fprintf(stderr, "delayline: warning: the kernel does not fail open; a full queue drops packets\n");
    }
    /* Whole GSO packets instead of segments: nothing here looks at payloads, so there is no
       reason to make the kernel cut them up. */
    nfq_set_queue_flags(line.queue, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO);

    int fd = nfq_fd(handle);
    int buffer = RECEIVE_BUFFER_BYTES;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) < 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    }
#ifdef NETLINK_NO_ENOBUFS
    int on = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof on);
#endif

    fprintf(stderr, "delayline: queue %.0f, delay %g ms \u00b1 %g ms, loss %g %%\n", queue_number, delay_ms, jitter_ms,
            loss_percent);
    fflush(stderr);

    static char packet[65536] __attribute__((aligned));
    int status = 0;
    int lost_messages_reported = 0;
    while (!stop_requested) {
        uint64_t now = now_ns();
        release_due(&line, now);

        struct timespec timeout, *timeout_ptr = NULL;
        if (line.held.size > 0) {
            uint64_t wait = line.held.items[0].due_ns - now;
            timeout.tv_sec = (time_t)(wait / 1000000000u);
            timeout.tv_nsec = (long)(wait % 1000000000u);
            timeout_ptr = &timeout;
        }
        struct pollfd fds[2] = {
            {.fd = fd, .events = POLLIN},
            {.fd = watch_stdin ? STDIN_FILENO : -1, .events = POLLIN},
        };
        int ready = ppoll(fds, 2, timeout_ptr, &wait_mask);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "delayline: poll failed: %s\n", strerror(errno));
            status = 1;
            break;
        }
        if (fds[1].revents) {
            char ignored[256];
            ssize_t n = read(STDIN_FILENO, ignored, sizeof ignored);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                break;
            }
        }
        if (fds[0].revents & POLLIN) {
            for (int i = 0; i < READS_PER_TURN; i++) {
                ssize_t n = recv(fd, packet, sizeof packet, MSG_DONTWAIT);
                if (n < 0) {
                    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                        break;
                    }
                    if (errno == ENOBUFS) {
                        /* The kernel still holds those packets; they are released when the queue goes. */
                        if (!lost_messages_reported++) {
                            fprintf(stderr, "delayline: warning: packets arrived faster than they were read\n");
                        }
                        continue;
                    }
                    fprintf(stderr, "delayline: reading queue failed: %s\n", strerror(errno));
                    status = 1;
                    stop_requested = 1;
                    break;
                }
                nfq_handle_packet(handle, packet, (int)n);
            }
        } else if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            fprintf(stderr, "delayline: the queue socket failed\n");
            status = 1;
            break;
        }
    }

    /* Stopping the fault must not cost traffic: whatever the kernel has queued and not yet
       told us about would be dropped when the queue goes, so read it first (the rule is gone by
       now, so this ends), then let everything held go out at once. */
    line.loss_fraction = 0;
    for (int i = 0; i < (int)(QUEUE_MAX_LEN * 2); i++) {
        ssize_t n = recv(fd, packet, sizeof packet, MSG_DONTWAIT);
        if (n < 0 && errno == ENOBUFS) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        nfq_handle_packet(handle, packet, (int)n);
    }
    while (line.held.size > 0) {
        verdict(&line, heap_pop(&line.held).id, NF_ACCEPT);
    }
    fprintf(stderr, "delayline: stopped; %lu packets accepted, %lu dropped\n", line.accepted, line.dropped);
    free(line.held.items);
    nfq_destroy_queue(line.queue);
    nfq_close(handle);
    return status;
}
