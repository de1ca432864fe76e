// CJSecOpenSSL: the system OpenSSL 3 headers, plus one-line shims for the
// OpenSSL "functions" that are macros Swift cannot call (SSL_ctrl wrappers,
// SSL_OP_* flags, BIO ctrl macros, stack accessors). Every shim is prefixed
// `jsec_` so it can never clash with another copy of OpenSSL or BoringSSL.
#ifndef CJSEC_OPENSSL_H
#define CJSEC_OPENSSL_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/ocsp.h>
#include <openssl/cms.h>
#include <openssl/pkcs12.h>
#include <stdint.h>

// --- errno names and texts (errno.c); NULL when unknown ---
const char *jsec_errno_name(int e);
const char *jsec_errno_text(int e);

// --- SSL_CTX ctrl macros ---
int jsec_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version);
int jsec_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version);
long jsec_SSL_CTX_set_mode(SSL_CTX *ctx, long mode);
long jsec_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode);
long jsec_SSL_CTX_sess_set_cache_size(SSL_CTX *ctx, long size);
int jsec_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list);
int jsec_SSL_CTX_add_extra_chain_cert(SSL_CTX *ctx, X509 *cert);

typedef int (*jsec_servername_cb)(SSL *ssl, int *alert, void *arg);
long jsec_SSL_CTX_set_servername_callback(SSL_CTX *ctx, jsec_servername_cb cb, void *arg);

long jsec_SSL_CTX_set_tlsext_ticket_keys(SSL_CTX *ctx, unsigned char *keys, long len);

// --- SSL ctrl macros ---
int jsec_SSL_set_tlsext_host_name(SSL *ssl, const char *name);
int jsec_SSL_get_min_proto_version(SSL *ssl);

// --- SSL_OP_* / mode flags (SSL_OP_BIT in 3.0 is not importable) ---
uint64_t jsec_SSL_OP_NO_RENEGOTIATION(void);
uint64_t jsec_SSL_OP_IGNORE_UNEXPECTED_EOF(void);
uint64_t jsec_SSL_OP_NO_COMPRESSION(void);
uint64_t jsec_SSL_OP_CIPHER_SERVER_PREFERENCE(void);
uint64_t jsec_SSL_OP_NO_TICKET(void);
uint64_t jsec_SSL_OP_ALLOW_CLIENT_RENEGOTIATION(void);

// --- BIO ctrl macros ---
long jsec_BIO_pending(BIO *bio);
long jsec_BIO_set_mem_eof_return(BIO *bio, long value);
long jsec_BIO_get_mem_data(BIO *bio, char **data);
int jsec_BIO_reset(BIO *bio);

// --- stacks ---
int jsec_sk_X509_num(const STACK_OF(X509) *sk);
X509 *jsec_sk_X509_value(const STACK_OF(X509) *sk, int i);
void jsec_sk_X509_pop_free(STACK_OF(X509) *sk);
STACK_OF(X509) *jsec_sk_X509_new_null(void);
int jsec_sk_X509_push(STACK_OF(X509) *sk, X509 *x);
int jsec_sk_GENERAL_NAME_num(const GENERAL_NAMES *sk);
GENERAL_NAME *jsec_sk_GENERAL_NAME_value(const GENERAL_NAMES *sk, int i);

// --- misc macros ---
unsigned long jsec_XN_FLAG_RFC2253(void);
void jsec_OPENSSL_free(void *p);
int jsec_SSL_CTX_set_app_data(SSL_CTX *ctx, void *arg);
void *jsec_SSL_CTX_get_app_data(const SSL_CTX *ctx);
int jsec_SSL_set_app_data(SSL *ssl, void *arg);
void *jsec_SSL_get_app_data(const SSL *ssl);
int jsec_EVP_PKEY_CTX_set_rsa_keygen_bits(EVP_PKEY_CTX *ctx, int bits);

// --- JSecCrypto: cipher ctrl constants, stacks, misc macros ---
int jsec_EVP_CTRL_AEAD_SET_IVLEN(void);
int jsec_EVP_CTRL_AEAD_GET_TAG(void);
int jsec_EVP_CTRL_AEAD_SET_TAG(void);
void jsec_sk_X509_free(STACK_OF(X509) *sk);
STACK_OF(X509_EXTENSION) *jsec_sk_X509_EXTENSION_new_null(void);
int jsec_sk_X509_EXTENSION_push(STACK_OF(X509_EXTENSION) *sk, X509_EXTENSION *x);
int jsec_sk_X509_EXTENSION_num(const STACK_OF(X509_EXTENSION) *sk);
X509_EXTENSION *jsec_sk_X509_EXTENSION_value(const STACK_OF(X509_EXTENSION) *sk, int i);
void jsec_sk_X509_EXTENSION_pop_free(STACK_OF(X509_EXTENSION) *sk);
void jsec_GENERAL_NAMES_free(GENERAL_NAMES *names);
int jsec_X509_REQ_set_version(X509_REQ *req, long version);
int jsec_OCSP_resp_count(OCSP_BASICRESP *bs);
long jsec_X509_V_FLAG_CRL_CHECK_ALL(void);
long jsec_BIO_set_close(BIO *bio, long flag);
int jsec_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *sk);
X509_REVOKED *jsec_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *sk, int i);

// --- OCSP stapling (status_request) ---
typedef int (*jsec_status_cb)(SSL *ssl, void *arg);
long jsec_SSL_CTX_set_tlsext_status_cb(SSL_CTX *ctx, jsec_status_cb cb, void *arg);
long jsec_SSL_set_tlsext_status_type(SSL *ssl, int type);
long jsec_SSL_get_tlsext_status_ocsp_resp(SSL *ssl, const unsigned char **resp);
// Copies `len` bytes into an OPENSSL_malloc'ed buffer that the SSL then owns and frees.
int jsec_SSL_set_tlsext_status_ocsp_resp_copy(SSL *ssl, const unsigned char *resp, long len);
int jsec_TLSEXT_STATUSTYPE_ocsp(void);

// --- renegotiation ---
long jsec_SSL_get_secure_renegotiation_support(SSL *ssl);
uint64_t jsec_SSL_OP_UNSAFE_LEGACY_RENEGOTIATION(void);

#include "CJSecDTLS.h"

#endif
