// Headers only (include/CJSecPeerSystem.h); SwiftPM needs one source file per C target.
#include "CJSecPeerSystem.h"
