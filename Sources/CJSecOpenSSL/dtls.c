#include "CJSecDTLS.h"
#include <openssl/bio.h>

int jsec_DTLS1_2_VERSION(void) { return DTLS1_2_VERSION; }
uint64_t jsec_SSL_OP_NO_QUERY_MTU(void) { return SSL_OP_NO_QUERY_MTU; }
long jsec_SSL_set_mtu(SSL *ssl, long mtu) { return SSL_set_mtu(ssl, mtu); }

long jsec_DTLSv1_get_timeout(SSL *ssl, long *seconds, long *microseconds) {
    struct timeval tv = {0, 0};
    long r = DTLSv1_get_timeout(ssl, &tv);
    *seconds = (long)tv.tv_sec;
    *microseconds = (long)tv.tv_usec;
    return r;
}

long jsec_DTLSv1_handle_timeout(SSL *ssl) { return DTLSv1_handle_timeout(ssl); }

int jsec_DTLSv1_listen(SSL *ssl) {
    BIO_ADDR *peer = BIO_ADDR_new();
    if (peer == NULL) return -1;
    int r = DTLSv1_listen(ssl, peer);
    BIO_ADDR_free(peer);
    return r;
}

static CRYPTO_ONCE dtls_index_once = CRYPTO_ONCE_STATIC_INIT;
static int dtls_index = -1;
static void dtls_index_init(void) { dtls_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL); }
int jsec_SSL_dtls_ex_index(void) {
    CRYPTO_THREAD_run_once(&dtls_index_once, dtls_index_init);
    return dtls_index;
}
