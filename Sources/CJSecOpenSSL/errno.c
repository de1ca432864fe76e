// errno names and texts for JSecError messages ("ECONNREFUSED", "Connection refused").
#define _GNU_SOURCE
#include <string.h>
#include "CJSecOpenSSL.h"

const char *jsec_errno_name(int e) {
#if defined(__GLIBC__)
    return strerrorname_np(e);  // glibc >= 2.32; NULL for an unknown value
#else
    (void)e;
    return NULL;
#endif
}

const char *jsec_errno_text(int e) {
#if defined(__GLIBC__)
    return strerrordesc_np(e);  // thread-safe, untranslated; NULL for an unknown value
#else
    return strerror(e);
#endif
}
