/*  ofts-recorder - the flight recorder: every envelope on the bus, byte for
    byte, with its receive time, into segmented files (rec_writer.h).

    Connects one SUB socket to every publisher in bus.endpoints (itself
    excepted) and subscribes to everything. Each drained batch is framed,
    CRC'd and written with one write(); gaps in a publisher's per-topic
    sequence become REC_GAP records; the config file it runs with is kept
    at the head of every segment (REC_CONFIG) for `ofts rerun`.

    Recording never slows trading: the whole process runs at a lower CPU
    priority (recorder.nice, 10: on a busy machine the trading services
    get the CPU first, the 1 M-message receive HWM absorbs the wait), and
    under fsync "interval" the fdatasync runs in its own thread, so a
    long sync never stops the draining of the socket.

    Reading by the clock: every drain_ms (5) a timer takes everything
    queued, so the recorder wakes ~200 times a second however busy the bus
    is, instead of once per message. With reader "own" (the default) it
    reads each publisher's socket itself (ofts_zmtp.h: ZMTP 3.0, nothing
    sleeps on the sockets, so a publisher's message wakes nobody); reader
    "zmq", CURVE, or drain_ms 0 (woken per message): a ZeroMQ SUB socket,
    whose I/O thread the kernel wakes for every message.

    config "recorder": dir, segment_mb, fsync (none|interval|every),
    fsync_interval_ms, retention_days, retention_mb, index_every, hwm,
    nice, idle, drain_ms, reader (own|zmq).                                                                 */
#include <czmq.h>
#include <sodium.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_bus.h"
#include "ofts_clock.h"
#include "ofts_curve.h"
#include "ofts_log.h"
#include "ofts_service.h"
#include "ofts_trust.h"
#include "rec_check.h"
#include "ofts_limit.h"
#include "rec_seqs.h"
#include "rec_writer.h"
#include "ofts_zmtp.h"

#define BATCH 4096
#define DRAIN_MAX 1000000               //  at most per timed drain (the HWM), so the loop still turns

//  fdatasync away from the recording thread. One sync at a time: while it
//  runs, the next tick leaves the writer dirty and tries again.
typedef struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int fd;                         //  handed over, to sync and close; -1: none
    bool busy, stop;
    int error;                      //  errno of the last failed sync, 0 when reported
    bool synced;                    //  a sync succeeded since the last report
} s_syncer_t;

static void *
s_syncer_run(void *arg)
{
    s_syncer_t *self = arg;
    pthread_mutex_lock(&self->lock);
    while (true) {
        while (self->fd < 0 && !self->stop)
            pthread_cond_wait(&self->cond, &self->lock);
        if (self->fd < 0)
            break;
        int fd = self->fd;
        self->fd = -1;
        self->busy = true;
        pthread_mutex_unlock(&self->lock);
        int rc = fdatasync(fd);
        int err = errno;
        close(fd);
        pthread_mutex_lock(&self->lock);
        self->busy = false;
        if (rc != 0)
            self->error = err;
        else
            self->synced = true;
    }
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

static void
s_syncer_start(s_syncer_t *self)
{
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->cond, NULL);
    self->fd = -1;
    pthread_create(&self->thread, NULL, s_syncer_run, self);
}

//  Hand the writer's pending sync over unless one is still running. The
//  errno of a failed sync, once (0: none); *synced: one succeeded since.
static int
s_syncer_give(s_syncer_t *self, rec_writer_t *writer, bool *synced)
{
    pthread_mutex_lock(&self->lock);
    if (!self->busy && self->fd < 0) {
        self->fd = rec_writer_sync_fd(writer);
        if (self->fd >= 0)
            pthread_cond_signal(&self->cond);
    }
    int error = self->error;
    self->error = 0;
    *synced = self->synced;
    self->synced = false;
    pthread_mutex_unlock(&self->lock);
    return error;
}

static void
s_syncer_stop(s_syncer_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->stop = true;
    pthread_cond_signal(&self->cond);
    pthread_mutex_unlock(&self->lock);
    pthread_join(self->thread, NULL);
    pthread_mutex_destroy(&self->lock);
    pthread_cond_destroy(&self->cond);
}

//  Linux keeps the policy and nice value per thread: every thread we have
//  (ZeroMQ's I/O thread does the reading), and those made later inherit
//  them. idle: SCHED_IDLE, run only on CPU time nobody else wants.
static void
s_renice(int nice, bool idle)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    struct sched_param none = { 0 };
    while (d && (e = readdir(d))) {
        pid_t tid = (pid_t) atoi(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        if (idle && sched_setscheduler(tid, SCHED_IDLE, &none) != 0)
            log_warn("cannot make thread %d SCHED_IDLE: %s", (int) tid, strerror(errno));
        if (nice && setpriority(PRIO_PROCESS, (id_t) tid, nice) != 0)
            log_warn("cannot lower the priority of thread %d to nice %d: %s", (int) tid, nice, strerror(errno));
    }
    if (d)
        closedir(d);
}

typedef struct {
    ofts_service_t *svc;
    s_syncer_t syncer;
    bool threaded_sync;
    rec_writer_t *writer;
    rec_seqs_t *seqs;
    zsock_t *sub;                   //  reader "zmq" (and always under CURVE)
    ofts_zmtp_t *own[32];            //  reader "own": one per publisher
    size_t nown;
    int64_t drain_now;              //  receive time of the current timed drain
    uint64_t garbage;               //  messages without a readable header (recorded all the same)
    bool check_mac;                 //  a signed bus: only what carries the bus MAC is recorded
    ofts_trust_mackey_t mackey;
    rec_check_t *check;             //  own readers on a signed bus: MACs checked per drained batch
    uint64_t refused;               //  not signed with the bus secret: never recorded
    uint64_t backlog_passes;        //  drain passes woken by a backlogged publisher's socket
    int quiet_ms;                   //  a backlog is over after this long without data
    bool soon;                      //  a drain 1 ms ahead is armed (a backlog outlasted one drain)
    ofts_limit_t sync_failing;       //  fdatasync failures: logged when they start, then every 10 s
} s_recorder_t;

//  What the services would refuse is never recorded: replay-bus signs what
//  it sends, so an unsigned message in a recording (a rogue process on a
//  publisher's endpoint) would come back signed. Under CURVE the pinned
//  keys already authenticate the publisher and there is no MAC frame.
static bool
s_mac_ok(const s_recorder_t *self, const uint8_t *topic, size_t tlen, const uint8_t *body, size_t blen,
         const uint8_t *mac, size_t mlen)
{
    return !self->check_mac || (body && mac && ofts_bus_mac_ok(&self->mackey, topic, tlen, body, blen, mac, mlen));
}

//  One message as received and checked (ok): appended byte for byte, its
//  sequence checked; or, not signed with the bus secret, refused and logged.
static void
s_record_checked(s_recorder_t *self, int64_t now, const char *topic, size_t tlen, const uint8_t *body, size_t blen,
                 bool has_mac, bool ok)
{
    char topic_z[256];                  //  memcpy, not snprintf: this runs for every message
    size_t zlen = tlen < sizeof topic_z - 1 ? tlen : sizeof topic_z - 1;
    memcpy(topic_z, topic, zlen);
    topic_z[zlen] = '\0';
    if (!ok) {
        const char *why = has_mac ? "bad MAC (not signed with the bus secret)" : "unsigned message";
        char detail[400];
        snprintf(detail, sizeof detail, "'%.64s' not recorded: %s", topic_z, why);
        ofts_trust_log_drop(why, detail, ++self->refused);
        return;
    }
    rec_writer_append(self->writer, REC_MESSAGE, now, topic, tlen, body, blen);
    rec_header_t hdr;
    if (body && rec_parse_header(body, blen, &hdr)) {
        uint64_t first = 0;
        uint64_t missing = rec_seqs_check(self->seqs, topic_z, &hdr, &first);
        if (missing) {
            log_warn("gap from %s on %s: %llu missing (topic_seq %llu..%llu), recorded", hdr.source, topic_z,
                     (unsigned long long) missing, (unsigned long long) first,
                     (unsigned long long) (first + missing - 1));
            rec_writer_gap(self->writer, now, hdr.source, topic_z, missing, first, hdr.epoch);
        }
    }
    else
        self->garbage++;
}

static void
s_record(s_recorder_t *self, int64_t now, const char *topic, size_t tlen, const uint8_t *body, size_t blen,
         const uint8_t *mac, size_t mlen)
{
    s_record_checked(self, now, topic, tlen, body, blen, mac != NULL,
                     s_mac_ok(self, (const uint8_t *) topic, tlen, body, blen, mac, mlen));
}

static void
s_on_checked(void *arg, const uint8_t *topic, size_t tlen, const uint8_t *body, size_t blen, bool has_mac, bool ok)
{
    s_recorder_t *self = arg;
    s_record_checked(self, self->drain_now, (const char *) topic, tlen, body, blen, has_mac, ok);
}

//  The drained batch, checked (on two threads when large), recorded in order.
static void
s_commit(s_recorder_t *self)
{
    if (self->check)
        rec_check_run(self->check, s_on_checked, self);
}

//  ofts_zmtp's callback: frames 0 and 1 are topic and envelope (a MAC frame
//  after them is not recorded, as with the ZeroMQ socket). On a signed bus
//  the message joins the batch whose MACs are checked together (s_commit).
#define COMMIT_AT (4u << 20)
static void
s_on_frames(void *arg, const uint8_t *const frames[], const size_t sizes[], int nframes)
{
    s_recorder_t *self = arg;
    if (nframes < 1)
        return;
    const uint8_t *body = nframes >= 2 ? frames[1] : NULL, *mac = nframes >= 3 ? frames[2] : NULL;
    size_t blen = nframes >= 2 ? sizes[1] : 0, mlen = nframes >= 3 ? sizes[2] : 0;
    if (!self->check) {
        s_record(self, self->drain_now, (const char *) frames[0], sizes[0], body, blen, mac, mlen);
        return;
    }
    rec_check_add(self->check, frames[0], sizes[0], body, blen, mac, mlen);
    if (rec_check_bytes(self->check) >= COMMIT_AT)
        s_commit(self);
}

//  One message: topic frame, envelope frame, and whatever follows (a MAC
//  on a signed bus: not recorded, the envelope is). false when nothing queued.
static bool
s_record_one(s_recorder_t *self, void *handle)
{
    zmq_msg_t t;
    zmq_msg_init(&t);
    if (zmq_msg_recv(&t, handle, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&t);
        return false;
    }
    int64_t now = ofts_clock_now_ns();
    zmq_msg_t p, mac;
    zmq_msg_init(&p);
    zmq_msg_init(&mac);
    bool two = zmq_msg_more(&t) && zmq_msg_recv(&p, handle, 0) >= 0;
    bool three = two && zmq_msg_more(&p) && zmq_msg_recv(&mac, handle, 0) >= 0;
    for (bool more = three && zmq_msg_more(&mac); more;) {
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        more = zmq_msg_recv(&extra, handle, 0) >= 0 && zmq_msg_more(&extra);
        zmq_msg_close(&extra);
    }
    s_record(self, now, zmq_msg_data(&t), zmq_msg_size(&t), two ? zmq_msg_data(&p) : NULL, two ? zmq_msg_size(&p) : 0,
             three ? zmq_msg_data(&mac) : NULL, three ? zmq_msg_size(&mac) : 0);
    zmq_msg_close(&t);
    zmq_msg_close(&p);
    zmq_msg_close(&mac);
    return true;
}

//  Up to `max` queued messages (per publisher with our own reader), then
//  one write(). A publisher whose socket was found full has more queued
//  than a socket holds (~220 messages on ipc://): reading it only every
//  drain_ms would cap the recorder at ~44 k msgs/s (measured), so while
//  any is backlogged the drain goes on, woken by its socket (poll), until
//  it has been quiet for drain_ms (at most BACKLOG_QUIET_MS: on a loaded
//  machine the publisher's I/O thread can take a few ms to be scheduled and
//  refill the socket, and giving up then costs a whole drain_ms; measured
//  with 1 ms: 60000 queued trades took 0.9-3.6 s under ASan, with 10 ms
//  0.8-1.2 s) or BACKLOG_BUDGET_MS have passed
//  (then the loop's other work - the fsync hand-over, a signal - runs, and
//  a drain 1 ms later goes on). true when cut short while still backlogged.
#define BACKLOG_QUIET_MS 10
#define BACKLOG_BUDGET_MS 200
static bool
s_drain(s_recorder_t *self, int max)
{
    if (self->sub) {
        void *handle = zsock_resolve(self->sub);
        for (int i = 0; i < max && s_record_one(self, handle); i++)
            ;
    }
    int64_t until = ofts_clock_mono_ns() + BACKLOG_BUDGET_MS * OFTS_NS_PER_MS;
    bool hot[32] = { false };           //  found backlogged in this drain
    while (true) {
        self->drain_now = ofts_clock_now_ns();
        struct pollfd fds[32];
        nfds_t nfds = 0;
        for (size_t i = 0; i < self->nown; i++) {
            ofts_zmtp_drain(self->own[i], max, s_on_frames, self);
            hot[i] = hot[i] || ofts_zmtp_backlogged(self->own[i]);
            if (hot[i] && ofts_zmtp_fd(self->own[i]) >= 0)
                fds[nfds++] = (struct pollfd) { .fd = ofts_zmtp_fd(self->own[i]), .events = POLLIN };
        }
        s_commit(self);
        rec_writer_flush(self->writer);
        if (!nfds)
            return false;
        if (ofts_clock_mono_ns() >= until || ofts_service_interrupted())
            return true;
        if (poll(fds, nfds, self->quiet_ms) <= 0)
            return false;
        self->backlog_passes++;
    }
}

//  drain_ms 0: woken by every message that finds the queue empty.
static int
s_on_sub(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    (void) sock;
    s_drain(arg, BATCH);
    return ofts_service_interrupted() ? -1 : 0;
}

//  drain_ms > 0: woken by the clock only, everything queued at once. On a
//  busy bus one wakeup every drain_ms instead of one per message - each a
//  context switch taken from the trading services on a small machine.
static int s_on_drain_soon(zloop_t *loop, int timer_id, void *arg);

//  drain_ms > 0: woken by the clock only, everything queued at once. On a
//  busy bus one wakeup every drain_ms instead of one per message - each a
//  context switch taken from the trading services on a small machine.
static int
s_on_drain(zloop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    s_recorder_t *self = arg;
    if (s_drain(self, DRAIN_MAX) && !self->soon) {
        self->soon = true;              //  still backlogged: on in 1 ms, not drain_ms
        zloop_timer(loop, 1, 1, s_on_drain_soon, self);
    }
    return ofts_service_interrupted() ? -1 : 0;
}

static int
s_on_drain_soon(zloop_t *loop, int timer_id, void *arg)
{
    ((s_recorder_t *) arg)->soon = false;
    return s_on_drain(loop, timer_id, arg);
}

//  A failing fdatasync (each tick's sync fails on a broken disk): logged
//  when it starts failing, then at most every 10 s, and once when a sync
//  works again.
static void
s_sync_report(s_recorder_t *self, int error, bool synced)
{
    uint64_t n = 0;
    if (error && ofts_limit_failed(&self->sync_failing, ofts_clock_mono_ns(), &n))
        log_warn("fdatasync of %s failed: %s (%llu failed since the last such line; logged at most every 10 s)",
                 rec_writer_segment_path(self->writer), strerror(error), (unsigned long long) n);
    else if (!error && synced && (n = ofts_limit_ok(&self->sync_failing)))
        log_info("fdatasync of %s works again after %llu failures", rec_writer_segment_path(self->writer),
                 (unsigned long long) n);
}

static void
s_on_tick(ofts_service_t *svc, int64_t now_ns, void *arg)
{
    (void) now_ns;
    s_recorder_t *self = arg;
    rec_writer_flush(self->writer);
    bool synced = true;
    int error = self->threaded_sync ? s_syncer_give(&self->syncer, self->writer, &synced)
                                    : rec_writer_sync(self->writer) != 0 ? errno : 0;
    s_sync_report(self, error, synced);
    ofts_service_set_state(svc, "recording: %llu records, %llu bytes, %llu missing on the bus, %llu errors, "
                           "%llu lost to failed writes", (unsigned long long) rec_writer_records(self->writer),
                           (unsigned long long) rec_writer_bytes(self->writer),
                           (unsigned long long) rec_seqs_missing(self->seqs),
                           (unsigned long long) rec_writer_errors(self->writer),
                           (unsigned long long) rec_writer_lost(self->writer));
}

//  One SUB socket on every publisher but ourselves - or, with own readers,
//  one ofts_zmtp_t each (connecting by themselves at the first drain).
static int
s_connect_all(s_recorder_t *self, int hwm, bool own)
{
    const char *peers[32];
    size_t n = ofts_service_peers(self->svc, peers, 32);
    int connected = 0;
    if (!own) {
        self->sub = zsock_new(ZMQ_SUB);
        zsock_set_rcvhwm(self->sub, hwm);
    }
    for (size_t i = 0; i < n; i++) {
        const char *ep = ofts_service_endpoint(self->svc, peers[i], "pub");
        if (!ep || strcmp(peers[i], ofts_service_name(self->svc)) == 0)
            continue;
        if (own) {
            if (!(self->own[self->nown] = ofts_zmtp_new(ep))) {
                log_error("cannot read %s (%s) with the own reader: ipc:// or tcp:// only", ep, peers[i]);
                return -1;
            }
            self->nown++;
            connected++;
            continue;
        }
        if (ofts_curve_process() && ofts_curve_apply_client(ofts_curve_process(), self->sub, ep) != 0)
            return -1;
        if (zsock_connect(self->sub, "%s", ep) < 0) {
            log_error("cannot connect %s (%s): %s", ep, peers[i], zmq_strerror(zmq_errno()));
            return -1;
        }
        connected++;
    }
    if (self->sub)
        zsock_set_subscribe(self->sub, "");
    log_info("recording %d publishers (%s)", connected, own ? "own ZMTP reader, read by the clock" : "ZeroMQ SUB");
    return 0;
}

static char *
s_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            text = realloc(text, cap);
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (text)
        text[len] = '\0';
    return text;
}

int
main(int argc, char **argv)
{
    ofts_service_t *svc = ofts_service_new("recorder", argc, argv);
    if (!svc)
        return ofts_service_exit_code();
    ofts_cfgsec_t *sec = ofts_config_section(ofts_service_config(svc), "recorder");
    rec_writer_config_t wc = { 0 };
    wc.dir = ofts_cfgsec_string(sec, "dir", "var/recorder");
    wc.segment_bytes = (uint64_t) ofts_cfgsec_int_range(sec, "segment_mb", 256, 1, 1 << 20) << 20;
    static const char *const fsyncs[] = { "none", "interval", "every", NULL };
    static const rec_fsync_t fsync_of[] = { REC_FSYNC_NONE, REC_FSYNC_INTERVAL, REC_FSYNC_EVERY };
    int fsync_i = ofts_cfgsec_choice(sec, "fsync", "interval", fsyncs);
    wc.fsync = fsync_of[fsync_i];
    wc.fsync_interval_ms = (int) ofts_cfgsec_int_range(sec, "fsync_interval_ms", 1000, 10, 60000);
    wc.retention_days = (int) ofts_cfgsec_int_range(sec, "retention_days", 0, 0, 100000);
    wc.retention_bytes = (uint64_t) ofts_cfgsec_int_range(sec, "retention_mb", 0, 0, INT64_MAX >> 20) << 20;
    wc.index_every = (uint32_t) ofts_cfgsec_int_range(sec, "index_every", 1024, 1, 1 << 20);
    int hwm = (int) ofts_cfgsec_int_range(sec, "hwm", 1000000, 1000, 100000000);
    int nice = (int) ofts_cfgsec_int_range(sec, "nice", 10, 0, 19);
    bool idle = ofts_cfgsec_bool(sec, "idle", false);
    int drain_ms = (int) ofts_cfgsec_int_range(sec, "drain_ms", 5, 0, 1000);
    static const char *const readers[] = { "own", "zmq", NULL };
    //  Our own reader speaks ZMTP without security: under CURVE, and when
    //  woken per message (drain_ms 0), ZeroMQ's SUB socket does the reading.
    bool own = ofts_cfgsec_choice(sec, "reader", "own", readers) == 0 && drain_ms > 0 && !ofts_curve_process();
    if (ofts_service_config_done(svc, &sec)) {
        ofts_service_destroy(&svc);
        return OFTS_EXIT_CONFIG;
    }
    if (ofts_service_check_only(svc)) {
        ofts_service_destroy(&svc);
        return 0;
    }
    if (nice || idle)
        s_renice(nice, idle);
    char err[512];
    s_recorder_t self = { .svc = svc, .threaded_sync = wc.fsync == REC_FSYNC_INTERVAL,
                          .quiet_ms = drain_ms < BACKLOG_QUIET_MS ? drain_ms : BACKLOG_QUIET_MS };
    self.writer = rec_writer_new(&wc, err, sizeof err);
    if (!self.writer) {
        log_error("%s", err);
        ofts_service_destroy(&svc);
        return 1;
    }
    if (self.threaded_sync)
        s_syncer_start(&self.syncer);
    char *config_text = s_read_file(ofts_config_path(ofts_service_config(svc)));
    rec_writer_set_config_text(self.writer, config_text);
    free(config_text);
    self.seqs = rec_seqs_new();
    const uint8_t *secret = ofts_trust_process_secret();
    if ((self.check_mac = secret != NULL))
        ofts_trust_mackey_init(&self.mackey, secret);
    if (self.check_mac && own)
        self.check = rec_check_new(&self.mackey);
    int rc = 1;
    if (s_connect_all(&self, hwm, own) == 0) {
        if (drain_ms > 0)
            zloop_timer(ofts_service_loop(svc), (size_t) drain_ms, 0, s_on_drain, &self);
        else
            zloop_reader(ofts_service_loop(svc), self.sub, s_on_sub, &self);
        ofts_service_on_tick(svc, wc.fsync == REC_FSYNC_INTERVAL ? wc.fsync_interval_ms : 1000, s_on_tick, &self);
        log_info("dir %s, segments of %llu MiB, fsync %s%s, retention %d days / %llu MiB (0 = keep), nice %d%s,"
                 " drain every %d ms (0: per message)", wc.dir, (unsigned long long) (wc.segment_bytes >> 20),
                 fsyncs[fsync_i], wc.fsync == REC_FSYNC_INTERVAL ? " (interval, own thread)" : "", wc.retention_days,
                 (unsigned long long) (wc.retention_bytes >> 20), nice, idle ? " SCHED_IDLE" : "", drain_ms);
        rc = ofts_service_run(svc);
    }
    //  Whatever is still queued is recorded before we go.
    s_drain(&self, DRAIN_MAX);
    log_info("recorded %llu records, %llu bytes, %llu missing on the bus, %llu without a header, %llu refused"
             " (not signed with the bus secret), %llu drain passes on a backlog",
             (unsigned long long) rec_writer_records(self.writer), (unsigned long long) rec_writer_bytes(self.writer),
             (unsigned long long) rec_seqs_missing(self.seqs), (unsigned long long) self.garbage,
             (unsigned long long) self.refused, (unsigned long long) self.backlog_passes);
    sodium_memzero(&self.mackey, sizeof self.mackey);
    rec_check_destroy(&self.check);
    if (self.threaded_sync)
        s_syncer_stop(&self.syncer);
    rec_writer_destroy(&self.writer);
    rec_seqs_destroy(&self.seqs);
    zsock_destroy(&self.sub);
    for (size_t i = 0; i < self.nown; i++)
        ofts_zmtp_destroy(&self.own[i]);
    ofts_service_destroy(&svc);
    return rc;
}
