/* DTLS 1.2 echo of the C peer (dtls.c): --tls dtls1.2, threads mode. */
#ifndef C_OPENSSL_PEER_DTLS_H
#define C_OPENSSL_PEER_DTLS_H

_Noreturn void dtls_server(const char *host, int port, const char *cert, const char *key);
int dtls_echo(const char *stack, const char *host, int port, const char *ca, int clients, int chunk, double duration);

#endif
