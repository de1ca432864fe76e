/* DTLS 1.2 echo on OpenSSL for the C peer (--tls dtls1.2; tools/peers/README.md, "DTLS").
 *
 *   c-openssl-peer server --port P --tls dtls1.2 --cert c.pem --key k.pem [--host 127.0.0.1]
 *   c-openssl-peer echo   --port P --tls dtls1.2 --ca c.pem --clients N --chunk B --duration S
 *
 * What OpenSSL's DTLS does with no framework on top, in the simplest blocking form (threads mode only):
 * the server waits on one UDP socket in DTLSv1_listen (stateless HMAC cookies, DTLS_method), and for every
 * verified ClientHello opens a UDP socket connected to that client on the same port (SO_REUSEADDR: Linux
 * delivers a peer's datagrams to the connected socket) and hands it to a thread: SSL_accept, then
 * SSL_read/SSL_write of whole messages until close_notify. Each client is a thread with a connected UDP
 * socket: SSL_connect, then lock-step messages of `chunk` bytes (sequence number in the first 8, big-endian);
 * no echo within 250 ms (SO_RCVTIMEO through the datagram BIO) resends the message, up to 4 times, then it
 * counts as lost: the same rules as jsec-peer's and perf9's dtls echo.
 * Pins: DTLS 1.2 only, ECDHE-ECDSA-AES128-GCM-SHA256, X25519, mtu 1400 (SSL_set_mtu, no MTU query: as
 * JSec's DTLSOptions default), server verified (hostname localhost). Every OpenSSL result is checked.
 */
#define _GNU_SOURCE
#include "dtls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define DTLS_MTU 1400
#define RETRANSMIT_MS 250
#define MAX_RETRANSMISSIONS 4
#define MAX_MESSAGE 16384

static void fail(const char *what) {
    fprintf(stderr, "c-openssl-peer (dtls): %s: %s\n", what, errno ? strerror(errno) : "");
    ERR_print_errors_fp(stderr);
    exit(1);
}

static int64_t mono_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---- cookies: HMAC-SHA256(secret, peer address), stateless ---- */

static unsigned char cookie_secret[32];

static int peer_bytes(SSL *ssl, unsigned char *out, size_t *len) {
    BIO_ADDR *peer = BIO_ADDR_new();
    if (!peer) return 0;
    int ok = 0;
    if (BIO_dgram_get_peer(SSL_get_rbio(ssl), peer) > 0) {
        size_t alen = 0;
        unsigned short port = BIO_ADDR_rawport(peer);
        if (BIO_ADDR_rawaddress(peer, NULL, &alen) == 1 && alen + sizeof port <= *len &&
            BIO_ADDR_rawaddress(peer, out, &alen) == 1) {
            memcpy(out + alen, &port, sizeof port);
            *len = alen + sizeof port;
            ok = 1;
        }
    }
    BIO_ADDR_free(peer);
    return ok;
}

static int cookie_make(SSL *ssl, unsigned char *cookie, unsigned int *len) {
    unsigned char addr[64];
    size_t alen = sizeof addr;
    if (!peer_bytes(ssl, addr, &alen)) return 0;
    return HMAC(EVP_sha256(), cookie_secret, sizeof cookie_secret, addr, alen, cookie, len) != NULL;
}

static int cookie_generate(SSL *ssl, unsigned char *cookie, unsigned int *len) { return cookie_make(ssl, cookie, len); }

static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len) {
    unsigned char want[EVP_MAX_MD_SIZE];
    unsigned int wlen = 0;
    return cookie_make(ssl, want, &wlen) && wlen == len && CRYPTO_memcmp(want, cookie, len) == 0;
}

/* ---- contexts ---- */

static SSL_CTX *dtls_context(int server, const char *cert, const char *key, const char *ca) {
    SSL_CTX *ctx = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
    if (!ctx) fail("SSL_CTX_new(DTLS)");
    if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 || SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1)
        fail("DTLS 1.2 only");
    if (SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256") != 1) fail("cipher list");
    /* X25519 for the key exchange; P-256 listed too: in (D)TLS 1.2 an ECDSA certificate's curve must be one of the
     * client's groups, or the server has no certificate it may use. */
    if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256") != 1) fail("groups");
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU);
    if (server) {
        if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) fail("certificate");
        if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) fail("private key");
        if (RAND_bytes(cookie_secret, sizeof cookie_secret) != 1) fail("RAND_bytes");
        SSL_CTX_set_cookie_generate_cb(ctx, cookie_generate);
        SSL_CTX_set_cookie_verify_cb(ctx, cookie_verify);
    } else {
        if (!ca || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) fail("CA file");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
}

static int udp_socket(const struct sockaddr_in *bind_to) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
    if (fd < 0) fail("socket");
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)) fail("SO_REUSEADDR");
    if (bind_to && bind(fd, (const struct sockaddr *)bind_to, sizeof *bind_to)) fail("bind");
    return fd;
}

/* ---- server ---- */

typedef struct {
    SSL *ssl;
    int fd;
} dtls_session;

static void *dtls_serve(void *arg) {
    dtls_session *s = arg;
    static __thread unsigned char buf[MAX_MESSAGE];
    int r = SSL_accept(s->ssl);
    if (r == 1) {
        for (;;) {
            int n = SSL_read(s->ssl, buf, sizeof buf);
            if (n <= 0) break; /* close_notify (0), or the peer went away */
            if (SSL_write(s->ssl, buf, n) != n) break;
        }
        if (SSL_shutdown(s->ssl) < 0) ERR_clear_error();
    } else {
        ERR_clear_error(); /* a failed handshake ends this session only */
    }
    SSL_free(s->ssl);
    close(s->fd);
    free(s);
    return NULL;
}

_Noreturn void dtls_server(const char *host, int port, const char *cert, const char *key) {
    SSL_CTX *ctx = dtls_context(1, cert, key, NULL);
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &local.sin_addr) != 1) fail("--host");
    int lfd = udp_socket(&local);
    socklen_t llen = sizeof local;
    if (getsockname(lfd, (struct sockaddr *)&local, &llen)) fail("getsockname");
    printf("{\"listening\": %d}\n", ntohs(local.sin_port));
    fflush(stdout);
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) || pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) ||
        pthread_attr_setstacksize(&attr, 256 * 1024))
        fail("pthread_attr");
    BIO_ADDR *client = BIO_ADDR_new();
    if (!client) fail("BIO_ADDR_new");
    for (;;) {
        SSL *ssl = SSL_new(ctx);
        BIO *bio = BIO_new_dgram(lfd, BIO_NOCLOSE);
        if (!ssl || !bio) fail("SSL_new/BIO_new_dgram");
        SSL_set_bio(ssl, bio, bio);
        SSL_set_options(ssl, SSL_OP_COOKIE_EXCHANGE);
        if (SSL_set_mtu(ssl, DTLS_MTU) <= 0) fail("SSL_set_mtu");
        int r;
        while ((r = DTLSv1_listen(ssl, client)) == 0) {} /* 0: a HelloVerifyRequest went out, or junk was dropped */
        if (r < 0) fail("DTLSv1_listen");
        /* A socket of this client's own, on the listening port, connected to it. */
        struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = BIO_ADDR_rawport(client)};
        size_t alen = sizeof peer.sin_addr;
        if (BIO_ADDR_family(client) != AF_INET || BIO_ADDR_rawaddress(client, &peer.sin_addr, &alen) != 1) fail("client address");
        int fd = udp_socket(&local);
        if (connect(fd, (struct sockaddr *)&peer, sizeof peer)) fail("connect");
        if (BIO_set_fd(bio, fd, BIO_NOCLOSE) != 1) fail("BIO_set_fd");
        if (BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, client) != 1) fail("BIO_CTRL_DGRAM_SET_CONNECTED");
        dtls_session *s = malloc(sizeof *s);
        if (!s) fail("malloc");
        s->ssl = ssl;
        s->fd = fd;
        pthread_t t;
        if (pthread_create(&t, &attr, dtls_serve, s)) {
            SSL_free(ssl);
            close(fd);
            free(s);
        }
    }
}

/* ---- clients ---- */

typedef struct {
    SSL *ssl;
    int fd;
    int64_t deadline;
    long long bytes, iterations, retransmissions, lost, late;
    int failed;
} dtls_client;

static SSL_CTX *client_ctx;
static pthread_barrier_t start_line;
static int echo_chunk;

static int set_timeout(SSL *ssl, int64_t ns) {
    struct timeval tv = {.tv_sec = (time_t)(ns / 1000000000), .tv_usec = (suseconds_t)(ns % 1000000000 / 1000)};
    if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1;
    return BIO_ctrl(SSL_get_rbio(ssl), BIO_CTRL_DGRAM_SET_RECV_TIMEOUT, 0, &tv) == 1;
}

static int dtls_connect(dtls_client *c, const char *host, int port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) return 0;
    c->fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a)) return 0;
    c->ssl = SSL_new(client_ctx);
    BIO *bio = BIO_new_dgram(c->fd, BIO_NOCLOSE);
    BIO_ADDR *peer = BIO_ADDR_new();
    if (!c->ssl || !bio || !peer) return 0;
    SSL_set_bio(c->ssl, bio, bio); /* the SSL owns the BIO from here */
    int ok = BIO_ADDR_rawmake(peer, AF_INET, &a.sin_addr, sizeof a.sin_addr, a.sin_port) == 1 &&
             BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer) == 1;
    BIO_ADDR_free(peer);
    if (!ok) return 0;
    if (SSL_set_mtu(c->ssl, DTLS_MTU) <= 0) return 0;
    if (SSL_set_tlsext_host_name(c->ssl, "localhost") != 1 || SSL_set1_host(c->ssl, "localhost") != 1) return 0;
    if (SSL_connect(c->ssl) != 1) return 0;
    return 1;
}

/* Reads until the echo of `seq` (1), the timeout (0), or an error (-1). Late echoes are counted and skipped. */
static int await_echo(dtls_client *c, uint64_t seq, int size, unsigned char *buf, int64_t *armed) {
    int64_t give_up = mono_ns() + (int64_t)RETRANSMIT_MS * 1000000;
    for (;;) {
        int64_t left = give_up - mono_ns();
        if (left <= 0) return 0;
        if (left != *armed) {
            if (!set_timeout(c->ssl, left)) return -1;
            *armed = left;
        }
        int n = SSL_read(c->ssl, buf, MAX_MESSAGE);
        if (n <= 0) {
            int e = SSL_get_error(c->ssl, n);
            if (e == SSL_ERROR_WANT_READ) {
                ERR_clear_error();
                if (BIO_dgram_recv_timedout(SSL_get_rbio(c->ssl))) return 0;
                continue;
            }
            return -1;
        }
        uint64_t got = 0;
        for (int i = 0; i < 8 && i < n; i++) got = got << 8 | buf[i];
        if (n == size && got == seq) return 1;
        c->late++;
    }
}

static void *dtls_client_run(void *arg) {
    dtls_client *c = arg;
    int chunk = echo_chunk;
    unsigned char *payload = malloc((size_t)chunk), *buf = malloc(MAX_MESSAGE);
    if (!payload || !buf) fail("malloc");
    memset(payload, 0x5A, (size_t)chunk);
    int64_t armed = (int64_t)RETRANSMIT_MS * 1000000;
    int wait = pthread_barrier_wait(&start_line);
    if (wait != 0 && wait != PTHREAD_BARRIER_SERIAL_THREAD) fail("pthread_barrier_wait");
    if (!set_timeout(c->ssl, armed)) c->failed = 1;
    uint64_t seq = 0;
    while (!c->failed && mono_ns() < c->deadline) {
        seq++;
        for (int i = 0; i < 8; i++) payload[i] = (unsigned char)(seq >> (56 - 8 * i));
        int answered = 0;
        for (int attempt = 0; attempt <= MAX_RETRANSMISSIONS && !answered; attempt++) {
            if (attempt > 0) c->retransmissions++;
            if (SSL_write(c->ssl, payload, chunk) != chunk) { c->failed = 1; break; }
            c->bytes += chunk;
            int r = await_echo(c, seq, chunk, buf, &armed);
            if (r < 0) { c->failed = 1; break; }
            answered = r;
        }
        if (c->failed) break;
        if (answered) {
            c->bytes += chunk;
            c->iterations++;
        } else {
            c->lost++;
        }
    }
    if (c->failed) ERR_print_errors_fp(stderr);
    free(payload);
    free(buf);
    return NULL;
}

int dtls_echo(const char *stack, const char *host, int port, const char *ca, int clients, int chunk, double duration) {
    if (chunk < 8 || chunk > MAX_MESSAGE) {
        fprintf(stderr, "c-openssl-peer (dtls): --chunk must be 8…%d for one DTLS message\n", MAX_MESSAGE);
        return 2;
    }
    client_ctx = dtls_context(0, NULL, NULL, ca);
    echo_chunk = chunk;
    dtls_client *cs = calloc((size_t)clients, sizeof *cs);
    pthread_t *ts = calloc((size_t)clients, sizeof *ts);
    if (!cs || !ts) fail("calloc");
    int connected = 0, errors = 0;
    const char *cipher = NULL;
    for (int i = 0; i < clients; i++) {
        cs[i].fd = -1;
        if (!dtls_connect(&cs[i], host, port)) {
            fprintf(stderr, "c-openssl-peer (dtls): client %d did not connect\n", i);
            ERR_print_errors_fp(stderr);
            errors++;
            if (cs[i].ssl) SSL_free(cs[i].ssl);
            cs[i].ssl = NULL;
            if (cs[i].fd >= 0) close(cs[i].fd);
            cs[i].fd = -1;
            continue;
        }
        /* One message must fit one record at this mtu (what the server's DTLS_get_data_mtu allows too). */
        size_t room = DTLS_get_data_mtu(cs[i].ssl);
        if (room < (size_t)chunk) {
            fprintf(stderr, "c-openssl-peer (dtls): --chunk %d exceeds one record at mtu %d (%zu bytes)\n", chunk, DTLS_MTU, room);
            return 2;
        }
        cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(cs[i].ssl));
        connected++;
    }
    if (pthread_barrier_init(&start_line, NULL, (unsigned)connected + 1)) fail("pthread_barrier_init");
    for (int i = 0; i < clients; i++) {
        if (!cs[i].ssl) continue;
        cs[i].deadline = INT64_MAX;
        if (pthread_create(&ts[i], NULL, dtls_client_run, &cs[i])) fail("pthread_create");
    }
    int64_t start = mono_ns(), deadline = start + (int64_t)(duration * 1e9);
    for (int i = 0; i < clients; i++) cs[i].deadline = deadline;
    int wait = pthread_barrier_wait(&start_line);
    if (wait != 0 && wait != PTHREAD_BARRIER_SERIAL_THREAD) fail("pthread_barrier_wait");
    long long bytes = 0, iterations = 0, retransmissions = 0, lost = 0, late = 0;
    for (int i = 0; i < clients; i++) {
        if (!cs[i].ssl) continue;
        if (pthread_join(ts[i], NULL)) fail("pthread_join");
        bytes += cs[i].bytes;
        iterations += cs[i].iterations;
        retransmissions += cs[i].retransmissions;
        lost += cs[i].lost;
        late += cs[i].late;
        errors += cs[i].failed;
    }
    double seconds = (double)(mono_ns() - start) / 1e9;
    printf("{\"stack\": \"%s\", \"workload\": \"echo\", \"transport\": \"dtls1.2\", \"clients\": %d, \"chunk\": %d, "
           "\"duration\": %g, \"seconds\": %.6f, \"bytes\": %lld, \"iterations\": %lld, \"connected\": %d, \"errors\": %d, "
           "\"retransmissions\": %lld, \"lost\": %lld, \"late_echoes\": %lld, \"per_client_bytes\": [",
           stack, clients, chunk, duration, seconds, bytes, iterations, connected, errors, retransmissions, lost, late);
    for (int i = 0; i < clients; i++) printf("%s%lld", i ? ", " : "", cs[i].bytes);
    if (cipher) printf("], \"cipher\": \"%s\"}\n", cipher); else printf("], \"cipher\": null}\n");
    fflush(stdout);
    for (int i = 0; i < clients; i++) {
        if (!cs[i].ssl) continue;
        if (SSL_shutdown(cs[i].ssl) < 0) ERR_clear_error(); /* close_notify; no wait for the server's */
        SSL_free(cs[i].ssl);
        close(cs[i].fd);
    }
    free(cs);
    free(ts);
    SSL_CTX_free(client_ctx);
    return 0;
}
