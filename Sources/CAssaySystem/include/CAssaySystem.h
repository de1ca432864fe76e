// System calls Swift cannot import (variadic C functions), for the Assay harness.
#ifndef C_ASSAY_SYSTEM_H
#define C_ASSAY_SYSTEM_H

/// Linux: makes the calling process a child subreaper (prctl PR_SET_CHILD_SUBREAPER):
/// orphaned descendants are re-parented to it instead of init. Returns 0 on success,
/// -1 with errno set (or on systems without it, errno ENOSYS).
int assay_become_child_subreaper(void);

#endif
