// JSec
