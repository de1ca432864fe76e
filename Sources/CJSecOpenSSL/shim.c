#include "CJSecOpenSSL.h"
#include <string.h>

int jsec_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_min_proto_version(ctx, v); }
int jsec_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_max_proto_version(ctx, v); }
long jsec_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
long jsec_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_session_cache_mode(ctx, mode); }
long jsec_SSL_CTX_sess_set_cache_size(SSL_CTX *ctx, long size) { return SSL_CTX_sess_set_cache_size(ctx, size); }
int jsec_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) { return (int)SSL_CTX_set1_groups_list(ctx, list); }
int jsec_SSL_CTX_add_extra_chain_cert(SSL_CTX *ctx, X509 *cert) { return (int)SSL_CTX_add_extra_chain_cert(ctx, cert); }
long jsec_SSL_CTX_set_servername_callback(SSL_CTX *ctx, jsec_servername_cb cb, void *arg) {
    SSL_CTX_set_tlsext_servername_arg(ctx, arg);
    return SSL_CTX_set_tlsext_servername_callback(ctx, cb);
}

int jsec_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }
int jsec_SSL_get_min_proto_version(SSL *ssl) { return (int)SSL_get_min_proto_version(ssl); }

uint64_t jsec_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
uint64_t jsec_SSL_OP_IGNORE_UNEXPECTED_EOF(void) { return SSL_OP_IGNORE_UNEXPECTED_EOF; }
uint64_t jsec_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
uint64_t jsec_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
uint64_t jsec_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
uint64_t jsec_SSL_OP_ALLOW_CLIENT_RENEGOTIATION(void) { return SSL_OP_ALLOW_CLIENT_RENEGOTIATION; }

long jsec_BIO_pending(BIO *bio) { return (long)BIO_pending(bio); }
long jsec_BIO_set_mem_eof_return(BIO *bio, long v) { return BIO_set_mem_eof_return(bio, v); }
long jsec_BIO_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
int jsec_BIO_reset(BIO *bio) { return (int)BIO_reset(bio); }

int jsec_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
X509 *jsec_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
void jsec_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }
STACK_OF(X509) *jsec_sk_X509_new_null(void) { return sk_X509_new_null(); }
int jsec_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
int jsec_sk_GENERAL_NAME_num(const GENERAL_NAMES *sk) { return sk_GENERAL_NAME_num(sk); }
GENERAL_NAME *jsec_sk_GENERAL_NAME_value(const GENERAL_NAMES *sk, int i) { return sk_GENERAL_NAME_value(sk, i); }

void jsec_OPENSSL_free(void *p) { OPENSSL_free(p); }
int jsec_SSL_CTX_set_app_data(SSL_CTX *ctx, void *arg) { return SSL_CTX_set_app_data(ctx, arg); }
void *jsec_SSL_CTX_get_app_data(const SSL_CTX *ctx) { return SSL_CTX_get_app_data(ctx); }
int jsec_SSL_set_app_data(SSL *ssl, void *arg) { return SSL_set_app_data(ssl, arg); }
void *jsec_SSL_get_app_data(const SSL *ssl) { return SSL_get_app_data(ssl); }
int jsec_EVP_PKEY_CTX_set_rsa_keygen_bits(EVP_PKEY_CTX *ctx, int bits) { return EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits); }
unsigned long jsec_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }
long jsec_SSL_CTX_set_tlsext_ticket_keys(SSL_CTX *ctx, unsigned char *keys, long len) { return SSL_CTX_set_tlsext_ticket_keys(ctx, keys, len); }

int jsec_EVP_CTRL_AEAD_SET_IVLEN(void) { return EVP_CTRL_AEAD_SET_IVLEN; }
int jsec_EVP_CTRL_AEAD_GET_TAG(void) { return EVP_CTRL_AEAD_GET_TAG; }
int jsec_EVP_CTRL_AEAD_SET_TAG(void) { return EVP_CTRL_AEAD_SET_TAG; }
void jsec_sk_X509_free(STACK_OF(X509) *sk) { sk_X509_free(sk); }
STACK_OF(X509_EXTENSION) *jsec_sk_X509_EXTENSION_new_null(void) { return sk_X509_EXTENSION_new_null(); }
int jsec_sk_X509_EXTENSION_push(STACK_OF(X509_EXTENSION) *sk, X509_EXTENSION *x) { return sk_X509_EXTENSION_push(sk, x); }
int jsec_sk_X509_EXTENSION_num(const STACK_OF(X509_EXTENSION) *sk) { return sk_X509_EXTENSION_num(sk); }
X509_EXTENSION *jsec_sk_X509_EXTENSION_value(const STACK_OF(X509_EXTENSION) *sk, int i) { return sk_X509_EXTENSION_value(sk, i); }
void jsec_sk_X509_EXTENSION_pop_free(STACK_OF(X509_EXTENSION) *sk) { sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free); }
void jsec_GENERAL_NAMES_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }
int jsec_X509_REQ_set_version(X509_REQ *req, long version) { return X509_REQ_set_version(req, version); }
int jsec_OCSP_resp_count(OCSP_BASICRESP *bs) { return OCSP_resp_count(bs); }
long jsec_X509_V_FLAG_CRL_CHECK_ALL(void) { return X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL; }
long jsec_BIO_set_close(BIO *bio, long flag) { return BIO_set_close(bio, flag); }
int jsec_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *sk) { return sk_X509_REVOKED_num(sk); }
X509_REVOKED *jsec_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *sk, int i) { return sk_X509_REVOKED_value(sk, i); }

long jsec_SSL_CTX_set_tlsext_status_cb(SSL_CTX *ctx, jsec_status_cb cb, void *arg) {
    SSL_CTX_set_tlsext_status_arg(ctx, arg);
    return SSL_CTX_set_tlsext_status_cb(ctx, cb);
}
long jsec_SSL_set_tlsext_status_type(SSL *ssl, int type) { return SSL_set_tlsext_status_type(ssl, type); }
long jsec_SSL_get_tlsext_status_ocsp_resp(SSL *ssl, const unsigned char **resp) { return SSL_get_tlsext_status_ocsp_resp(ssl, resp); }
int jsec_SSL_set_tlsext_status_ocsp_resp_copy(SSL *ssl, const unsigned char *resp, long len) {
    if (len <= 0) return 0;
    unsigned char *buf = OPENSSL_malloc((size_t)len);
    if (buf == NULL) return 0;
    memcpy(buf, resp, (size_t)len);
    if (SSL_set_tlsext_status_ocsp_resp(ssl, buf, len) != 1) { OPENSSL_free(buf); return 0; }
    return 1;  /* the SSL owns buf from here on */
}
int jsec_TLSEXT_STATUSTYPE_ocsp(void) { return TLSEXT_STATUSTYPE_ocsp; }
uint64_t jsec_SSL_OP_UNSAFE_LEGACY_RENEGOTIATION(void) { return SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION; }
long jsec_SSL_get_secure_renegotiation_support(SSL *ssl) { return SSL_get_secure_renegotiation_support(ssl); }
