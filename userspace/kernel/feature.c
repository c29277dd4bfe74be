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
#include <bpf/btf.h>

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

/* Offset of a per-CPU variable in the per-CPU area, from the BTF section
 * that lists them; -1 when it is not there. */
static int64_t tl_percpu_var_offset(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, ".data..percpu", BTF_KIND_DATASEC);
	const struct btf_type *sec = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_var_secinfo *v;

	if (!sec)
		return -1;
	v = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, v++) {
		const struct btf_type *var = btf__type_by_id(btf, v->type);

		if (var && !strcmp(btf__name_by_offset(btf, var->name_off), name))
			return v->offset;
	}
	return -1;
}

/* Byte offset of member `name` in struct `type`, -1 when absent. */
static int64_t tl_member_offset(const struct btf *btf, const char *type,
				const char *name)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_member *m;

	if (!t)
		return -1;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name))
			return btf_member_bit_offset(t, i) / 8;
	return -1;
}

int tl_preempt_count_from_rq(int64_t *delta)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int64_t rq, pc, hot, member;
	int e = -ENOENT;

	if (!btf)
		return -ENOENT;
	rq = tl_percpu_var_offset(btf, "runqueues");
	pc = tl_percpu_var_offset(btf, "__preempt_count");
	if (pc < 0) {
		hot = tl_percpu_var_offset(btf, "pcpu_hot");
		member = tl_member_offset(btf, "pcpu_hot", "preempt_count");
		if (hot >= 0 && member >= 0)
			pc = hot + member;
	}
	if (rq >= 0 && pc >= 0) {
		*delta = pc - rq;
		e = 0;
	}
	btf__free(btf);
	return e;
}

/* Lines the verifier closes its log with, after the reason. */
static bool tl_log_summary(const char *line)
{
	return !strncmp(line, "processed ", 10) ||
	       !strncmp(line, "verification time", 17) ||
	       !strncmp(line, "stack depth", 11);
}

void tl_verifier_reason(const char *log, char *out, size_t len)
{
	const char *end = log + strlen(log), *line = NULL;

	if (len)
		out[0] = '\0';
	while (end > log) {
		while (end > log && end[-1] == '\n')
			end--;
		for (line = end; line > log && line[-1] != '\n'; line--)
			;
		if (end > line && !tl_log_summary(line))
			break;
		end = line;
		line = NULL;
	}
	if (line && len)
		snprintf(out, len, "%.*s", (int)(end - line), line);
}
