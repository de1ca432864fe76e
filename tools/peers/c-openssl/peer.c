/* C straight on OpenSSL 3: the ceiling peer for tools/compare-peers (contract: tools/peers/README.md).
 *
 *   c-openssl-peer server    --port P --tls 1.3|tcp [--cert c.pem --key k.pem] [--host 127.0.0.1]
 *   c-openssl-peer echo      --port P --tls 1.3|tcp [--ca c.pem] --clients N --chunk B --duration S
 *   c-openssl-peer handshake --port P --ca c.pem --clients N --duration S --mode full|resumed
 *
 * One thread per connection (server) or per client (echo, handshake), blocking sockets, the plain
 * SSL_read/SSL_write API: what OpenSSL itself delivers with no framework on top. Pinned like every
 * peer: TLS 1.3 only, TLS_AES_128_GCM_SHA256, X25519, TCP_NODELAY, server verified (hostname
 * localhost). Build: cc -O2 -o c-openssl-peer peer.c -lssl -lcrypto -lpthread
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct {
    const char *cmd, *host, *tls, *cert, *key, *ca, *mode;
    int port, clients, chunk;
    double duration;
} o = {.host = "127.0.0.1", .tls = "1.3", .mode = "full", .clients = 1, .chunk = 65536, .duration = 5};

static int use_tls(void) { return strcmp(o.tls, "tcp") != 0; }

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
    fprintf(stderr, "usage: c-openssl-peer server|echo|handshake --port P --tls 1.3|tcp [--cert --key --ca --clients --chunk --duration --mode]\n");
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
        else if (!strcmp(k, "--threads")) { /* one thread per connection: nothing to set */ }
        else { fprintf(stderr, "c-openssl-peer: unknown option %s\n", k); usage(); }
    }
    if ((argc - 2) % 2) usage();
    if (o.clients < 1 || o.clients > 10000 || o.chunk < 1 || o.chunk > (1 << 24) || o.duration <= 0) usage();
}

static SSL_CTX *context(int server) {
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx) die("SSL_CTX_new");
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

/* ---- server: a thread per accepted connection, echo until EOF ---- */

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
    pthread_barrier_init(&start_line, NULL, (unsigned)connected + 1);
    pthread_t *ts = calloc((size_t)o.clients, sizeof *ts);
    for (int i = 0; i < o.clients; i++)
        if (cs[i].fd >= 0) pthread_create(&ts[i], NULL, echo_run, &cs[i]);
    start_ns = now_ns();
    int64_t deadline = start_ns + (int64_t)(o.duration * 1e9);
    for (int i = 0; i < o.clients; i++) cs[i].deadline = deadline;
    pthread_barrier_wait(&start_line);
    long long bytes = 0, iterations = 0;
    for (int i = 0; i < o.clients; i++) {
        if (cs[i].fd < 0) continue;
        pthread_join(ts[i], NULL);
        bytes += cs[i].bytes;
        iterations += cs[i].iterations;
        errors += cs[i].failed;
    }
    double seconds = (double)(now_ns() - start_ns) / 1e9;
    printf("{\"stack\": \"c-openssl\", \"workload\": \"echo\", \"transport\": \"%s\", \"clients\": %d, \"chunk\": %d, "
           "\"duration\": %g, \"seconds\": %.6f, \"bytes\": %lld, \"iterations\": %lld, \"connected\": %d, \"errors\": %d, "
           "\"per_client_bytes\": [",
           use_tls() ? "tls1.3" : "tcp", o.clients, o.chunk, o.duration, seconds, bytes, iterations, connected, errors);
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

static int handshake(void) {
    o.tls = "1.3";
    client_ctx = context(0);
    hs_worker *ws = calloc((size_t)o.clients, sizeof *ws);
    pthread_t *ts = calloc((size_t)o.clients, sizeof *ts);
    int64_t start = now_ns(), deadline = start + (int64_t)(o.duration * 1e9);
    for (int i = 0; i < o.clients; i++) { ws[i].deadline = deadline; pthread_create(&ts[i], NULL, hs_run, &ws[i]); }
    long long total = 0, resumed = 0, errors = 0;
    const char *cipher = NULL;
    for (int i = 0; i < o.clients; i++) {
        pthread_join(ts[i], NULL);
        total += (long long)ws[i].n;
        resumed += ws[i].resumed;
        errors += ws[i].errors;
        if (ws[i].cipher) cipher = ws[i].cipher;
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    printf("{\"stack\": \"c-openssl\", \"workload\": \"handshake\", \"mode\": \"%s\", \"clients\": %d, \"duration\": %g, "
           "\"seconds\": %.6f, \"handshakes\": %lld, \"resumed\": %lld, \"errors\": %lld, \"latencies_us\": [",
           o.mode, o.clients, o.duration, seconds, total, resumed, errors);
    int first = 1;
    for (int i = 0; i < o.clients; i++)
        for (size_t j = 0; j < ws[i].n; j++) { printf("%s%lld", first ? "" : ",", ws[i].lat_us[j]); first = 0; }
    if (cipher) printf("], \"cipher\": \"%s\"}\n", cipher); else printf("], \"cipher\": null}\n");
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    parse(argc, argv);
    if (!strcmp(o.cmd, "server")) server();
    if (!strcmp(o.cmd, "echo")) return echo();
    if (!strcmp(o.cmd, "handshake")) return handshake();
    usage();
}
