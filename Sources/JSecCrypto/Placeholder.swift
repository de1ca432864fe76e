// JSecCrypto
