/* feature.c - the system checks done before any BPF is loaded, so that the
 * three common failures (no privileges, no BTF, no tracefs) end with a
 * message saying what to do instead of a libbpf error code. */
#include "feature.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool tl_cap_effective(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int tl_check_privileges(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {0};

	if (geteuid() == 0)
		return 0;
	if (syscall(SYS_capget, &hdr, data) == 0 &&
	    tl_cap_effective(data, CAP_BPF) && tl_cap_effective(data, CAP_PERFMON))
		return 0;
	snprintf(err, errlen, "recording needs root, or CAP_BPF and CAP_PERFMON: "
		 "run it with sudo");
	return -EPERM;
}

int tl_check_btf(char *err, size_t errlen)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	snprintf(err, errlen, "no kernel BTF at /sys/kernel/btf/vmlinux: this "
		 "kernel needs CONFIG_DEBUG_INFO_BTF=y (or a distribution kernel "
		 "that has it)");
	return -ENOTSUP;
}

int tl_check_tracefs(char *err, size_t errlen)
{
	int e;

	if (access(TL_TRACEFS "/events", R_OK) == 0)
		return 0;
	if (mount("nodev", TL_TRACEFS, "tracefs", 0, NULL) == 0 &&
	    access(TL_TRACEFS "/events", R_OK) == 0)
		return 0;
	e = errno;
	snprintf(err, errlen, "tracefs is not mounted and mounting it failed "
		 "(%s): run mount -t tracefs nodev " TL_TRACEFS, strerror(e));
	return -ENOENT;
}

bool tl_tracepoint_exists(const char *cat_name)
{
	char path[256];

	snprintf(path, sizeof(path), TL_TRACEFS "/events/%s", cat_name);
	return access(path, F_OK) == 0;
}
