// The Linux system headers Swift's Glibc module leaves out, for jsec-peer's `--api direct` event loop
// (tools/peers/jsec/PeerDirectLoop.swift, PeerDirectConnection.swift): epoll, eventfd and TCP_NODELAY.
#ifndef C_JSEC_PEER_SYSTEM_H
#define C_JSEC_PEER_SYSTEM_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/tcp.h>

#endif
