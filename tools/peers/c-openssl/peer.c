/* C straight on OpenSSL 3: the ceiling peer for tools/compare-peers (contract: tools/peers/README.md).
 *
 *   c-openssl-peer server    --port P --tls 1.3|tcp [--cert c.pem --key k.pem] [--host 127.0.0.1] [--io threads|epoll]
 *   c-openssl-peer echo      --port P --tls 1.3|tcp [--ca c.pem] --clients N --chunk B --duration S [--io threads|epoll]
 *   c-openssl-peer handshake --port P --ca c.pem --clients N --duration S --mode full|resumed [--io threads|epoll]
 *   c-openssl-peer server|echo --tls dtls1.2 …   DTLS 1.2 over UDP, threads mode only (dtls.c)
 *
 * Two I/O modes, the same pins and the same JSON lines; what OpenSSL itself delivers with no framework on top:
 *   --io threads (default): one thread per connection (server) or per client (echo, handshake),
 *       blocking sockets, the plain SSL_read/SSL_write API.
 *   --io epoll: ONE thread, non-blocking sockets, level-triggered epoll; every SSL_accept/SSL_connect/
 *       SSL_read/SSL_write that cannot finish says what it waits for (SSL_ERROR_WANT_READ/WANT_WRITE) and
 *       the connection waits for exactly that event (no busy loop); writes resume where a partial write
 *       stopped (SSL_MODE_ENABLE_PARTIAL_WRITE). The echo client still connects and handshakes its clients
 *       one after another before measuring (as in threads mode); the handshake client is event-driven
 *       throughout (non-blocking connect included). Stack name in the JSON: "c-openssl-epoll".
 * Pinned like every peer: TLS 1.3 only, TLS_AES_128_GCM_SHA256, X25519, TCP_NODELAY, server verified
 * (hostname localhost). Build: cc -O2 -Wall -Wextra -Werror -o c-openssl-peer peer.c dtls.c -lssl -lcrypto -lpthread
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>

#include "dtls.h"
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct {
    const char *cmd, *host, *tls, *cert, *key, *ca, *mode;
    int port, clients, chunk, epoll;   /* epoll: --io epoll */
    double duration;
} o = {.host = "127.0.0.1", .tls = "1.3", .mode = "full", .clients = 1, .chunk = 65536, .duration = 5};

static int use_tls(void) { return strcmp(o.tls, "tcp") != 0; }
static int use_dtls(void) { return strcmp(o.tls, "dtls1.2") == 0; }
static const char *stack_name(void) { return o.epoll ? "c-openssl-epoll" : "c-openssl"; }

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "c-openssl-peer: %s: %s\n", what, errno ? strerror(errno) : "");
    ERR_print_errors_fp(stderr);
    exit(1);
}

static void usage(void) {
    fprintf(stderr, "usage: c-openssl-peer server|echo|handshake --port P --tls 1.3|tcp [--cert --key --ca --clients --chunk --duration --mode --io threads|epoll]\n");
    exit(2);
}

static void parse(int argc, char **argv) {
    if (argc < 2) usage();
    o.cmd = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port")) o.port = atoi(v);
        else if (!strcmp(k, "--host")) o.host = v;
        else if (!strcmp(k, "--tls")) o.tls = v;
        else if (!strcmp(k, "--cert")) o.cert = v;
        else if (!strcmp(k, "--key")) o.key = v;
        else if (!strcmp(k, "--ca")) o.ca = v;
        else if (!strcmp(k, "--clients")) o.clients = atoi(v);
        else if (!strcmp(k, "--chunk")) o.chunk = atoi(v);
        else if (!strcmp(k, "--duration")) o.duration = atof(v);
        else if (!strcmp(k, "--mode")) o.mode = v;
        else if (!strcmp(k, "--io")) {
            if (!strcmp(v, "epoll")) o.epoll = 1;
            else if (!strcmp(v, "threads")) o.epoll = 0;
            else usage();
        }
        else if (!strcmp(k, "--threads")) { /* threads: one per connection; epoll: one: nothing to set */ }
        else { fprintf(stderr, "c-openssl-peer: unknown option %s\n", k); usage(); }
    }
    if ((argc - 2) % 2) usage();
    if (o.clients < 1 || o.clients > 10000 || o.chunk < 1 || o.chunk > (1 << 24) || o.duration <= 0) usage();
}

static SSL_CTX *context(int server) {
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx) die("SSL_CTX_new");
    if (o.epoll) SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    if (SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256") != 1) die("ciphersuites");
    if (SSL_CTX_set1_groups_list(ctx, "X25519") != 1) die("groups");
    if (server) {
        if (SSL_CTX_use_certificate_chain_file(ctx, o.cert) != 1) die("certificate");
        if (SSL_CTX_use_PrivateKey_file(ctx, o.key, SSL_FILETYPE_PEM) != 1) die("private key");
    } else {
        if (SSL_CTX_load_verify_locations(ctx, o.ca, NULL) != 1) die("CA file");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    }
    return ctx;
}

static void nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("O_NONBLOCK");
}

/* ---- epoll mode: the building blocks ---- */

/* What an SSL call that returned r <= 0 waits for: EPOLLIN, EPOLLOUT, or -1 (closed or failed). On -1 the
 * thread's error queue is cleared, so a failed connection cannot make SSL_get_error lie about the next one. */
static int ssl_wait(SSL *ssl, int r) {
    switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ: return EPOLLIN;
    case SSL_ERROR_WANT_WRITE: return EPOLLOUT;
    default: ERR_clear_error(); return -1;
    }
}

/* Non-blocking read of up to n bytes (TLS when ssl is set): > 0 bytes read; 0 would block (*want = the
 * event to wait for); -1 end of stream or error. */
static int nb_read(int fd, SSL *ssl, char *p, int n, int *want) {
    if (ssl) {
        int r = SSL_read(ssl, p, n);
        if (r > 0) return r;
        return (*want = ssl_wait(ssl, r)) < 0 ? -1 : 0;
    }
    ssize_t r = read(fd, p, (size_t)n);
    if (r > 0) return (int)r;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) { *want = EPOLLIN; return 0; }
    return -1;
}

/* Non-blocking write of up to n bytes: > 0 bytes written (maybe fewer than n: the caller resumes at the
 * offset; after a TLS WANT_* it retries with the same pointer and length); 0 would block; -1 error. */
static int nb_write(int fd, SSL *ssl, const char *p, int n, int *want) {
    if (ssl) {
        int r = SSL_write(ssl, p, n);
        if (r > 0) return r;
        return (*want = ssl_wait(ssl, r)) < 0 ? -1 : 0;
    }
    ssize_t r = write(fd, p, (size_t)n);
    if (r > 0) return (int)r;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) { *want = EPOLLOUT; return 0; }
    return -1;
}

/* Registers, changes or (events < 0) removes fd's interest, only when it differs from *registered
 * (-1: not registered). */
static void interest(int ep, int fd, void *ptr, int events, int *registered) {
    if (events == *registered) return;
    struct epoll_event ev = {.events = (uint32_t)(events < 0 ? 0 : events), .data.ptr = ptr};
    int op = events < 0 ? EPOLL_CTL_DEL : *registered < 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(ep, op, fd, &ev) && op != EPOLL_CTL_DEL) die("epoll_ctl");
    *registered = events;
}

#define MAX_EVENTS 256

/* ---- server: a thread per accepted connection (threads) or one epoll loop (epoll), echo until EOF ---- */

static SSL_CTX *server_ctx;

static void *serve(void *arg) {
    int fd = (int)(intptr_t)arg;
    char *buf = malloc(65536);
    nodelay(fd);
    if (use_tls()) {
        SSL *ssl = SSL_new(server_ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) {
            int n;
            while ((n = SSL_read(ssl, buf, 65536)) > 0)
                if (SSL_write(ssl, buf, n) != n) break;
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
    } else {
        ssize_t n;
        while ((n = read(fd, buf, 65536)) > 0) {
            ssize_t off = 0;
            while (off < n) {
                ssize_t w = write(fd, buf + off, (size_t)(n - off));
                if (w <= 0) goto done;
                off += w;
            }
        }
    }
done:
    free(buf);
    close(fd);
    return NULL;
}

/* epoll: one accepted connection, echoing what it reads; a write that blocks stops the reading. */
typedef struct {
    int fd, registered, handshaking;
    int wait;       /* the event the call that could not finish waits for */
    int len, off;   /* buf[off, len): read, not yet written back */
    SSL *ssl;
    char buf[65536];
} sconn;

/* Drives one connection as far as it goes without blocking: 1 = waits for c->wait, 0 = finished. */
static int sconn_run(sconn *c) {
    for (;;) {
        int want = 0, n;
        if (c->handshaking) {
            int r = SSL_accept(c->ssl);
            if (r == 1) { c->handshaking = 0; continue; }
            if ((want = ssl_wait(c->ssl, r)) < 0) return 0;
        } else if (c->off < c->len) {
            if ((n = nb_write(c->fd, c->ssl, c->buf + c->off, c->len - c->off, &want)) < 0) return 0;
            if (n > 0) {
                c->off += n;
                if (c->off == c->len) c->off = c->len = 0;
                continue;
            }
        } else {
            if ((n = nb_read(c->fd, c->ssl, c->buf, (int)sizeof c->buf, &want)) < 0) return 0;
            if (n > 0) { c->len = n; c->off = 0; continue; }
        }
        c->wait = want;
        return 1;
    }
}

static _Noreturn void server_epoll(int lfd) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    nonblocking(lfd);
    int lreg = -1;
    interest(ep, lfd, NULL, EPOLLIN, &lreg);   /* data.ptr NULL: the listening socket */
    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, evs, MAX_EVENTS, -1);
        if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        for (int i = 0; i < n; i++) {
            sconn *c = evs[i].data.ptr;
            if (!c) {
                for (;;) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED) continue;
                        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                        die("accept");   /* EMFILE too, as in threads mode: the listener would stay readable, a busy loop */
                    }
                    nodelay(fd);
                    c = calloc(1, sizeof *c);
                    if (!c) die("calloc");
                    c->fd = fd;
                    c->registered = -1;
                    if (use_tls()) {
                        c->ssl = SSL_new(server_ctx);
                        SSL_set_fd(c->ssl, fd);
                        c->handshaking = 1;
                    }
                    if (sconn_run(c)) { interest(ep, fd, c, c->wait, &c->registered); continue; }
                    if (c->ssl) SSL_free(c->ssl);
                    close(fd);
                    free(c);
                }
                continue;
            }
            if (sconn_run(c)) { interest(ep, c->fd, c, c->wait, &c->registered); continue; }
            interest(ep, c->fd, c, -1, &c->registered);
            if (c->ssl) {
                if (!c->handshaking) SSL_shutdown(c->ssl);   /* close_notify, not waiting for the peer's */
                SSL_free(c->ssl);
            }
            close(c->fd);
            free(c);
        }
    }
}

static _Noreturn void server(void) {
    if (use_tls()) server_ctx = context(1);
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
    inet_pton(AF_INET, o.host, &a.sin_addr);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 4096)) die("bind/listen");
    socklen_t len = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &len);
    printf("{\"listening\": %d}\n", ntohs(a.sin_port));
    fflush(stdout);
    if (o.epoll) server_epoll(lfd);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) { if (errno == EINTR || errno == ECONNABORTED) continue; die("accept"); }
        pthread_t t;
        if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd)) close(fd);
    }
}

/* ---- clients ---- */

static SSL_CTX *client_ctx;

static int dial(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
    inet_pton(AF_INET, o.host, &a.sin_addr);
    nodelay(fd);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) { close(fd); return -1; }
    return fd;
}

/* A verified TLS client on fd (hostname localhost), offering `session` if given. */
static SSL *tls_client(int fd, SSL_SESSION *session) {
    SSL *ssl = SSL_new(client_ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set1_host(ssl, "localhost");
    if (session) SSL_set_session(ssl, session);
    if (SSL_connect(ssl) != 1) { SSL_free(ssl); return NULL; }
    return ssl;
}

typedef struct {
    int fd;
    SSL *ssl;
    int64_t deadline;
    long long bytes, iterations;
    int failed;
    /* epoll: this round's progress, what the pending write and read wait for (0: try it), done */
    int sent, got, wwait, rwait, registered, done;
} echo_client;

static int send_all(echo_client *c, const char *p, int n) {
    if (c->ssl) return SSL_write(c->ssl, p, n) == n;
    for (int off = 0; off < n;) {
        ssize_t w = write(c->fd, p + off, (size_t)(n - off));
        if (w <= 0) return 0;
        off += (int)w;
    }
    return 1;
}

static int recv_some(echo_client *c, char *p, int n) {
    return c->ssl ? SSL_read(c->ssl, p, n) : (int)read(c->fd, p, (size_t)n);
}

static pthread_barrier_t start_line;
static int64_t start_ns;

static void *echo_run(void *arg) {
    echo_client *c = arg;
    char *payload = malloc((size_t)o.chunk), *buf = malloc((size_t)o.chunk);
    memset(payload, 0x5a, (size_t)o.chunk);
    pthread_barrier_wait(&start_line);   /* every client connected before anyone measures */
    while (now_ns() < c->deadline) {
        if (!send_all(c, payload, o.chunk)) { c->failed = 1; break; }
        c->bytes += o.chunk;
        int got = 0;
        while (got < o.chunk) {
            int n = recv_some(c, buf, o.chunk - got);
            if (n <= 0) { c->failed = 1; goto out; }
            got += n;
        }
        c->bytes += got;
        c->iterations++;
    }
out:
    free(payload);
    free(buf);
    return NULL;
}

/* epoll: one round = write chunk bytes and read chunk bytes back, both as far as they go (reading while
 * writing, so neither end can stall on full socket buffers); a new round starts until the deadline. */
static void echo_step(echo_client *c, const char *payload, char *buf) {
    for (;;) {
        int progress = 0, want = 0, n;
        if (c->sent < o.chunk && !c->wwait) {
            if ((n = nb_write(c->fd, c->ssl, payload + c->sent, o.chunk - c->sent, &want)) < 0) { c->failed = c->done = 1; return; }
            if (n > 0) { c->sent += n; progress = 1; } else c->wwait = want;
        }
        if (c->got < o.chunk && !c->rwait) {
            if ((n = nb_read(c->fd, c->ssl, buf, o.chunk - c->got, &want)) < 0) { c->failed = c->done = 1; return; }
            if (n > 0) { c->got += n; progress = 1; } else c->rwait = want;
        }
        if (c->sent == o.chunk && c->got == o.chunk) {
            c->bytes += 2LL * o.chunk;
            c->iterations++;
            c->sent = c->got = 0;
            if (now_ns() >= c->deadline) { c->done = 1; return; }
            continue;
        }
        if (!progress) return;
    }
}

/* epoll: the connected clients' rounds in one thread until every client has finished its last round. */
static void echo_epoll(echo_client *cs) {
    int ep = epoll_create1(EPOLL_CLOEXEC), active = 0;
    if (ep < 0) die("epoll_create1");
    char *payload = malloc((size_t)o.chunk), *buf = malloc((size_t)o.chunk);
    memset(payload, 0x5a, (size_t)o.chunk);
    for (int i = 0; i < o.clients; i++) {
        echo_client *c = &cs[i];
        c->registered = -1;
        if (c->fd < 0) continue;
        nonblocking(c->fd);
        echo_step(c, payload, buf);
        if (c->done) continue;
        active++;
        interest(ep, c->fd, c, (c->sent < o.chunk ? c->wwait : 0) | (c->got < o.chunk ? c->rwait : 0), &c->registered);
    }
    struct epoll_event evs[MAX_EVENTS];
    int64_t give_up = cs[0].deadline + (int64_t)30e9;   /* a server that stopped answering: fail, do not hang */
    while (active > 0) {
        int n = epoll_wait(ep, evs, MAX_EVENTS, 1000);
        if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        for (int i = 0; i < n; i++) {
            echo_client *c = evs[i].data.ptr;
            uint32_t ev = evs[i].events;
            if (ev & (EPOLLERR | EPOLLHUP)) c->wwait = c->rwait = 0;   /* retry both: the error surfaces */
            if (c->wwait & (int)ev) c->wwait = 0;
            if (c->rwait & (int)ev) c->rwait = 0;
            echo_step(c, payload, buf);
            if (c->done) { interest(ep, c->fd, c, -1, &c->registered); active--; continue; }
            interest(ep, c->fd, c, (c->sent < o.chunk ? c->wwait : 0) | (c->got < o.chunk ? c->rwait : 0), &c->registered);
        }
        if (now_ns() > give_up) {
            for (int i = 0; i < o.clients; i++)
                if (cs[i].fd >= 0 && !cs[i].done) cs[i].failed = cs[i].done = 1;
            break;
        }
    }
    close(ep);   /* the sockets stay non-blocking: SSL_shutdown below sends close_notify if it can, never waits */
    free(payload);
    free(buf);
}

static int echo(void) {
    if (use_tls()) client_ctx = context(0);
    echo_client *cs = calloc((size_t)o.clients, sizeof *cs);
    int connected = 0, errors = 0;
    const char *cipher = NULL;
    for (int i = 0; i < o.clients; i++) {
        cs[i].fd = dial();
        if (cs[i].fd < 0) { errors++; continue; }
        if (use_tls()) {
            cs[i].ssl = tls_client(cs[i].fd, NULL);
            if (!cs[i].ssl) { errors++; close(cs[i].fd); cs[i].fd = -1; continue; }
            cipher = SSL_CIPHER_standard_name(SSL_get_current_cipher(cs[i].ssl));
        }
        connected++;
    }
    pthread_t *ts = calloc((size_t)o.clients, sizeof *ts);
    if (o.epoll) {
        start_ns = now_ns();
        for (int i = 0; i < o.clients; i++) cs[i].deadline = start_ns + (int64_t)(o.duration * 1e9);
        echo_epoll(cs);
    } else {
        pthread_barrier_init(&start_line, NULL, (unsigned)connected + 1);
        for (int i = 0; i < o.clients; i++)
            if (cs[i].fd >= 0) pthread_create(&ts[i], NULL, echo_run, &cs[i]);
        start_ns = now_ns();
        int64_t deadline = start_ns + (int64_t)(o.duration * 1e9);
        for (int i = 0; i < o.clients; i++) cs[i].deadline = deadline;
        pthread_barrier_wait(&start_line);
    }
    long long bytes = 0, iterations = 0;
    for (int i = 0; i < o.clients; i++) {
        if (cs[i].fd < 0) continue;
        if (!o.epoll) pthread_join(ts[i], NULL);
        bytes += cs[i].bytes;
        iterations += cs[i].iterations;
        errors += cs[i].failed;
    }
    double seconds = (double)(now_ns() - start_ns) / 1e9;
    printf("{\"stack\": \"%s\", \"workload\": \"echo\", \"transport\": \"%s\", \"clients\": %d, \"chunk\": %d, "
           "\"duration\": %g, \"seconds\": %.6f, \"bytes\": %lld, \"iterations\": %lld, \"connected\": %d, \"errors\": %d, "
           "\"per_client_bytes\": [",
           stack_name(), use_tls() ? "tls1.3" : "tcp", o.clients, o.chunk, o.duration, seconds, bytes, iterations, connected, errors);
    for (int i = 0; i < o.clients; i++) printf("%s%lld", i ? ", " : "", cs[i].bytes);
    if (cipher) printf("], \"cipher\": \"%s\"}\n", cipher); else printf("], \"cipher\": null}\n");
    for (int i = 0; i < o.clients; i++) {
        if (cs[i].ssl) { SSL_shutdown(cs[i].ssl); SSL_free(cs[i].ssl); }
        if (cs[i].fd >= 0) close(cs[i].fd);
    }
    return 0;
}

typedef struct {
    int64_t deadline;
    long long *lat_us;
    size_t n, cap;
    long long resumed, errors;
    const char *cipher;
} hs_worker;

/* One connection: connect, handshake, 1-byte echo, close. Returns the session to offer next (owned). */
static int once(hs_worker *w, SSL_SESSION **session) {
    int fd = dial();
    if (fd < 0) return 0;
    SSL *ssl = tls_client(fd, *session);
    if (!ssl) { close(fd); return 0; }
    char b = 0x5a;
    int ok = SSL_write(ssl, &b, 1) == 1 && SSL_read(ssl, &b, 1) == 1;
    if (ok) {
        if (SSL_session_reused(ssl)) w->resumed++;
        w->cipher = SSL_CIPHER_standard_name(SSL_get_current_cipher(ssl));
        /* TLS 1.3 tickets arrive after the handshake; the echoed byte came after them. */
        SSL_SESSION *next = SSL_get1_session(ssl);
        if (next && SSL_SESSION_is_resumable(next)) {
            if (*session) SSL_SESSION_free(*session);
            *session = next;
        } else if (next) {
            SSL_SESSION_free(next);
        }
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    close(fd);
    return ok;
}

static void *hs_run(void *arg) {
    hs_worker *w = arg;
    int resume = !strcmp(o.mode, "resumed");
    SSL_SESSION *session = NULL;
    if (resume && !once(w, &session)) w->errors++;   /* the first full handshake is not counted */
    while (now_ns() < w->deadline) {
        SSL_SESSION *offer = resume ? session : NULL;
        SSL_SESSION *kept = offer;
        int64_t t0 = now_ns();
        int ok = once(w, &kept);
        if (!resume && kept) { SSL_SESSION_free(kept); kept = NULL; }
        if (resume) session = kept;
        if (!ok) { if (++w->errors > 1000) break; continue; }
        if (w->n == w->cap) { w->cap = w->cap ? w->cap * 2 : 4096; w->lat_us = realloc(w->lat_us, w->cap * sizeof *w->lat_us); }
        w->lat_us[w->n++] = (now_ns() - t0) / 1000;
    }
    if (session) SSL_SESSION_free(session);
    return NULL;
}

/* epoll: one worker's connection in flight: connect, handshake, 1-byte echo, close, as a state machine. */
enum { HS_CONNECT, HS_HANDSHAKE, HS_WRITE, HS_READ };
typedef struct {
    hs_worker *w;
    int fd, registered, phase, wait, counted, done;
    SSL *ssl;
    SSL_SESSION *session;   /* resumed mode: the ticket the previous connection received (owned) */
    int64_t t0;
} hs_conn;

/* Starts the worker's next connection (non-blocking connect), or marks it done past the deadline.
 * Returns 1 when the caller should drive it on now, 0 when it waits for the connect (or is done). */
static int hs_start(int ep, hs_conn *h, int counted) {
    if (h->done || (counted && now_ns() >= h->w->deadline)) { h->done = 1; return 0; }
    h->counted = counted;
    h->t0 = now_ns();
    h->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (h->fd < 0) die("socket");
    nodelay(h->fd);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
    inet_pton(AF_INET, o.host, &a.sin_addr);
    int r = connect(h->fd, (struct sockaddr *)&a, sizeof a);
    h->phase = r == 0 ? HS_HANDSHAKE : errno == EINPROGRESS ? HS_CONNECT : -1;   /* -1: failed at once, hs_step reports it */
    h->ssl = SSL_new(client_ctx);
    SSL_set_fd(h->ssl, h->fd);
    SSL_set_tlsext_host_name(h->ssl, "localhost");
    SSL_set1_host(h->ssl, "localhost");
    if (h->session && !strcmp(o.mode, "resumed")) SSL_set_session(h->ssl, h->session);
    if (h->phase != HS_CONNECT) return 1;
    interest(ep, h->fd, h, EPOLLOUT, &h->registered);   /* writable = connected (or failed: SO_ERROR says) */
    return 0;
}

/* Ends the connection in flight: counts it, keeps its ticket (resumed mode), frees it. */
static void hs_finish(int ep, hs_conn *h, int ok) {
    hs_worker *w = h->w;
    if (ok) {
        if (h->counted) {
            if (SSL_session_reused(h->ssl)) w->resumed++;
            if (w->n == w->cap) { w->cap = w->cap ? w->cap * 2 : 4096; w->lat_us = realloc(w->lat_us, w->cap * sizeof *w->lat_us); }
            w->lat_us[w->n++] = (now_ns() - h->t0) / 1000;
        }
        w->cipher = SSL_CIPHER_standard_name(SSL_get_current_cipher(h->ssl));
        if (!strcmp(o.mode, "resumed")) {   /* TLS 1.3 tickets arrive after the handshake; the echoed byte came after them */
            SSL_SESSION *next = SSL_get1_session(h->ssl);
            if (next && SSL_SESSION_is_resumable(next)) {
                if (h->session) SSL_SESSION_free(h->session);
                h->session = next;
            } else if (next) {
                SSL_SESSION_free(next);
            }
        }
        SSL_shutdown(h->ssl);   /* close_notify if the socket takes it; never waits */
    } else {
        ERR_clear_error();
        w->errors++;
    }
    interest(ep, h->fd, h, -1, &h->registered);
    SSL_free(h->ssl);
    h->ssl = NULL;
    close(h->fd);
    h->fd = -1;
    if (!ok && w->errors > 1000) h->done = 1;
}

/* Drives the worker as far as it goes without blocking; starts its next connection when one ends. */
static void hs_step(int ep, hs_conn *h) {
    while (!h->done) {
        int r, ok = 1;
        char b = 0x5a;
        switch (h->phase) {
        case HS_CONNECT: {
            int err = 0;
            socklen_t len = sizeof err;
            if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) { ok = 0; break; }
            h->phase = HS_HANDSHAKE;
            continue;
        }
        case HS_HANDSHAKE:
            if ((r = SSL_connect(h->ssl)) == 1) { h->phase = HS_WRITE; continue; }
            break;
        case HS_WRITE:
            if ((r = SSL_write(h->ssl, &b, 1)) == 1) { h->phase = HS_READ; continue; }
            break;
        case HS_READ:
            if ((r = SSL_read(h->ssl, &b, 1)) == 1) {
                hs_finish(ep, h, 1);
                if (!hs_start(ep, h, 1)) return;
                continue;
            }
            break;
        default:
            ok = 0;
        }
        if (ok && (h->wait = ssl_wait(h->ssl, r)) > 0) {
            interest(ep, h->fd, h, h->wait, &h->registered);
            return;
        }
        hs_finish(ep, h, 0);
        if (!hs_start(ep, h, 1)) return;   /* after an uncounted first connection failed too, as in threads mode */
    }
}

/* epoll: every worker's connections in one thread; the latencies are connect start → echoed byte. */
static void handshake_epoll(hs_worker *ws) {
    int ep = epoll_create1(EPOLL_CLOEXEC), resume = !strcmp(o.mode, "resumed");
    if (ep < 0) die("epoll_create1");
    hs_conn *hs = calloc((size_t)o.clients, sizeof *hs);
    for (int i = 0; i < o.clients; i++) {
        hs[i] = (hs_conn){.w = &ws[i], .fd = -1, .registered = -1};
        if (hs_start(ep, &hs[i], !resume)) hs_step(ep, &hs[i]);   /* resumed mode: the first full handshake is not counted */
    }
    struct epoll_event evs[MAX_EVENTS];
    int64_t give_up = ws[0].deadline + (int64_t)30e9;   /* a server that stopped answering: fail, do not hang */
    for (;;) {
        int active = 0;
        for (int i = 0; i < o.clients; i++) active += !hs[i].done;
        if (!active) break;
        if (now_ns() > give_up) {
            for (int i = 0; i < o.clients; i++)
                if (!hs[i].done) { hs_finish(ep, &hs[i], 0); hs[i].done = 1; }
            break;
        }
        int n = epoll_wait(ep, evs, MAX_EVENTS, 1000);
        if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        for (int i = 0; i < n; i++) hs_step(ep, evs[i].data.ptr);
    }
    for (int i = 0; i < o.clients; i++)
        if (hs[i].session) SSL_SESSION_free(hs[i].session);
    free(hs);
    close(ep);
}

static int handshake(void) {
    o.tls = "1.3";
    client_ctx = context(0);
    hs_worker *ws = calloc((size_t)o.clients, sizeof *ws);
    pthread_t *ts = calloc((size_t)o.clients, sizeof *ts);
    int64_t start = now_ns(), deadline = start + (int64_t)(o.duration * 1e9);
    for (int i = 0; i < o.clients; i++) ws[i].deadline = deadline;
    if (o.epoll) handshake_epoll(ws);
    else for (int i = 0; i < o.clients; i++) pthread_create(&ts[i], NULL, hs_run, &ws[i]);
    long long total = 0, resumed = 0, errors = 0;
    const char *cipher = NULL;
    for (int i = 0; i < o.clients; i++) {
        if (!o.epoll) pthread_join(ts[i], NULL);
        total += (long long)ws[i].n;
        resumed += ws[i].resumed;
        errors += ws[i].errors;
        if (ws[i].cipher) cipher = ws[i].cipher;
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    printf("{\"stack\": \"%s\", \"workload\": \"handshake\", \"mode\": \"%s\", \"clients\": %d, \"duration\": %g, "
           "\"seconds\": %.6f, \"handshakes\": %lld, \"resumed\": %lld, \"errors\": %lld, \"latencies_us\": [",
           stack_name(), o.mode, o.clients, o.duration, seconds, total, resumed, errors);
    int first = 1;
    for (int i = 0; i < o.clients; i++)
        for (size_t j = 0; j < ws[i].n; j++) { printf("%s%lld", first ? "" : ",", ws[i].lat_us[j]); first = 0; }
    if (cipher) printf("], \"cipher\": \"%s\"}\n", cipher); else printf("], \"cipher\": null}\n");
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    parse(argc, argv);
    if (use_dtls()) {
        if (o.epoll) { fprintf(stderr, "c-openssl-peer: --tls dtls1.2 runs in threads mode only (no --io epoll)\n"); return 2; }
        if (!strcmp(o.cmd, "server")) {
            if (!o.cert || !o.key) usage();
            dtls_server(o.host, o.port, o.cert, o.key);
        }
        if (!strcmp(o.cmd, "echo")) return dtls_echo(stack_name(), o.host, o.port, o.ca, o.clients, o.chunk, o.duration);
        usage();
    }
    if (!strcmp(o.cmd, "server")) server();
    if (!strcmp(o.cmd, "echo")) return echo();
    if (!strcmp(o.cmd, "handshake")) return handshake();
    usage();
}
