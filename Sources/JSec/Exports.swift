// JSec re-exports JSecCrypto: its error type, keys and certificates are part of the TLS API.
@_exported import JSecCrypto
