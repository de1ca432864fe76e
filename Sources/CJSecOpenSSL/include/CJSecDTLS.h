// DTLS shims: the DTLS macros over SSL_ctrl, DTLS option bits, and DTLSv1_listen
// without a BIO_ADDR (the datagram server knows the peer address itself).
#ifndef CJSEC_DTLS_H
#define CJSEC_DTLS_H

#include <openssl/ssl.h>
#include <stdint.h>

int jsec_DTLS1_2_VERSION(void);
uint64_t jsec_SSL_OP_NO_QUERY_MTU(void);
long jsec_SSL_set_mtu(SSL *ssl, long mtu);
// DTLSv1_get_timeout: 1 and the time left when a retransmission timer runs, 0 when none does.
long jsec_DTLSv1_get_timeout(SSL *ssl, long *seconds, long *microseconds);
// DTLSv1_handle_timeout: 1 after a retransmission, 0 when no timer expired, -1 on failure (too many timeouts).
long jsec_DTLSv1_handle_timeout(SSL *ssl);
// DTLSv1_listen on a server SSL: 1 once a ClientHello with a valid cookie arrived, 0 or -1 otherwise.
int jsec_DTLSv1_listen(SSL *ssl);
// A process-wide SSL ex_data index for the DTLS per-connection state (allocated once).
int jsec_SSL_dtls_ex_index(void);

#endif
