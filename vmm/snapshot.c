/* snapshot.c: walks the VM's vCPUs, devices and RAM into a snapshot file, and back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <inttypes.h>

#include "arch.h"
#include "device.h"
#include "irq.h"
#include "log.h"
#include "sbuf.h"
#include "snapshot.h"
#include "snapshot_file.h"
#include "util.h"
#include "vcpu.h"
#include "version.h"
#include "vm.h"

#define DEVICE_VERSION 1
#define NAME_MAX_LEN   64

static unsigned int vm_device_count(const struct vm *vm)
{
	unsigned int n = 0;

	for (const struct device *d = vm->devices; d; d = d->next)
		n++;
	return n;
}

static int save_config(struct vm *vm, struct snap_writer *w)
{
	struct sbuf b;
	int ret;

	sbuf_init(&b);
	ret = snapshot_config_encode(vm->cfg, vm->nr_vcpus, vm_device_count(vm),
				     &b);
	if (!ret)
		ret = snap_write_section(w, SNAP_SEC_CONFIG, 0, b.data, b.len);
	sbuf_free(&b);
	return ret;
}

static void put_name(struct sbuf *b, const char *name)
{
	size_t n = strnlen(name, NAME_MAX_LEN);

	sbuf_put_u16(b, (uint16_t)n);
	sbuf_put_bytes(b, name, n);
}

static int save_device(struct device *d, unsigned int idx,
		       struct snap_writer *w)
{
	struct sbuf b;
	int ret = 0;

	sbuf_init(&b);
	sbuf_put_u32(&b, DEVICE_VERSION);
	put_name(&b, d->name);
	if (d->ops && d->ops->save)
		ret = d->ops->save(d, &b);
	if (!ret)
		ret = b.err;
	if (!ret)
		ret = snap_write_section(w, SNAP_SEC_DEVICE, idx, b.data, b.len);
	else
		pr_err("device %s: cannot save its state: %s", d->name,
		       strerror(-ret));
	sbuf_free(&b);
	return ret;
}

/* Quiesce every device, or none: on failure the ones before are let go. */
static int devices_quiesce(struct vm *vm)
{
	struct device *d;
	int ret = 0;

	for (d = vm->devices; d; d = d->next) {
		if (!d->ops || !d->ops->quiesce)
			continue;
		ret = d->ops->quiesce(d);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	pr_err("device %s: cannot quiesce it: %s", d->name, strerror(-ret));
	for (struct device *u = vm->devices; u != d; u = u->next)
		if (u->ops && u->ops->unquiesce)
			u->ops->unquiesce(u);
	return ret;
}

static void devices_unquiesce(struct vm *vm)
{
	for (struct device *d = vm->devices; d; d = d->next)
		if (d->ops && d->ops->unquiesce)
			d->ops->unquiesce(d);
}

/* The devices are quiet from before the arch state is saved until the
 * RAM is written: what the file records of a ring matches the RAM it
 * records, and no device interrupt arrives between the arch's save of
 * the interrupt controller (on arm64 with an ITS: the LPI pending tables,
 * written into guest RAM) and the RAM. */
static int save_all(struct vm *vm, struct snap_writer *w)
{
	unsigned int idx = 0;
	int ret = devices_quiesce(vm);

	if (ret)
		return ret;
	ret = save_config(vm, w);
	if (!ret)
		ret = arch_snapshot_save(vm, w);
	for (struct device *d = vm->devices; d && !ret; d = d->next)
		ret = save_device(d, idx++, w);
	if (!ret)
		ret = snap_write_memory(w, &vm->mem);
	devices_unquiesce(vm);
	return ret;
}

int snapshot_save(struct vm *vm, const char *path)
{
	struct snap_writer *w;
	struct timespec t0, t1;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = snap_writer_open(&w, path, arch_snapshot_id(), minivmm_version(),
			       SNAP_FLAG_PAGE_CRC);
	if (ret) {
		pr_err("cannot create snapshot %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = save_all(vm, w);
	if (ret) {
		snap_writer_abort(w);
		pr_err("snapshot %s not written: %s", path, strerror(-ret));
		return ret;
	}
	ret = snap_writer_commit(w);
	if (ret) /* the writer said which step failed; after the rename only
		  * the directory's fsync can, and the file is then in place */
		return ret;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pr_info("snapshot saved to %s in %" PRId64 " ms", path,
		(int64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
			(t1.tv_nsec - t0.tv_nsec) / 1000000);
	return 0;
}

int snapshot_open(const char *path, struct vm_config *cfg,
		  struct snap_reader **r)
{
	struct vm_config *rec = malloc(sizeof(*rec));
	const void *data;
	char err[256] = "";
	bool has_devices;
	size_t len;
	int ret = rec ? snap_reader_open(r, path, arch_snapshot_id(), err,
					 sizeof(err))
		      : -ENOMEM;

	if (ret) {
		pr_err("%s: %s", path, err[0] ? err : strerror(-ret));
		free(rec);
		return ret;
	}
	ret = snap_reader_find(*r, SNAP_SEC_CONFIG, 0, &data, &len);
	if (ret)
		pr_err("%s: no configuration section", path);
	else if ((ret = snapshot_config_decode(data, len, rec, &has_devices)))
		pr_err("%s: configuration section is malformed or of a newer "
		       "version", path);
	if (!ret) {
		cfg->mem_size = rec->mem_size;
		cfg->nr_cpus = rec->nr_cpus;
		cfg->exit_port = rec->exit_port;
	} else {
		snap_reader_close(*r);
		*r = NULL;
	}
	free(rec);
	return ret;
}

int snapshot_use_devices(struct snap_reader *r, struct vm_config *cfg,
			 const struct restore_given *given)
{
	struct vm_config *rec = malloc(sizeof(*rec));
	const void *data;
	bool has_devices = false;
	size_t len;
	int ret = rec ? snap_reader_find(r, SNAP_SEC_CONFIG, 0, &data, &len)
		      : -ENOMEM;

	if (!ret)
		ret = snapshot_config_decode(data, len, rec, &has_devices);
	if (!ret)
		ret = snapshot_config_merge_machine(cfg, rec, given);
	/* Version 1 recorded no devices: the command line's, as they are. */
	if (!ret && has_devices)
		ret = snapshot_config_merge(cfg, rec, given);
	free(rec);
	return ret;
}

static int restore_device(struct device *d, unsigned int idx,
			  struct snap_reader *r)
{
	struct sbuf_reader in;
	char name[NAME_MAX_LEN + 1];
	const void *data;
	size_t len;
	uint16_t n;
	int ret = snap_reader_find(r, SNAP_SEC_DEVICE, idx, &data, &len);

	if (ret) {
		pr_err("snapshot has no state for device #%u (%s)", idx, d->name);
		return -EINVAL;
	}
	sbuf_reader_init(&in, data, len);
	if (sbuf_get_u32(&in) != DEVICE_VERSION)
		goto bad;
	n = sbuf_get_u16(&in);
	if (n > NAME_MAX_LEN)
		goto bad;
	sbuf_get_bytes(&in, name, n);
	name[n] = 0;
	if (in.err)
		goto bad;
	if (strcmp(name, d->name)) {
		pr_err("snapshot device #%u is '%s' where this VM has '%s'", idx,
		       name, d->name);
		return -EINVAL;
	}
	if (d->ops && d->ops->restore)
		ret = d->ops->restore(d, &in);
	if (!ret)
		ret = sbuf_reader_done(&in);
	if (ret)
		pr_err("snapshot state of device %s is malformed", d->name);
	return ret;
bad:
	pr_err("snapshot section for device #%u is malformed", idx);
	return -EINVAL;
}

int snapshot_restore(struct vm *vm, struct snap_reader *r,
		     const struct restore_opts *o)
{
	unsigned int idx = 0;
	const void *extra;
	size_t len;
	int ret = snap_reader_load_memory(r, &vm->mem,
					  o->copy ? SNAP_LOAD_COPY : 0);

	if (ret) {
		pr_err("cannot load the snapshot's memory: %s",
		       snap_reader_error(r));
		return ret;
	}
	ret = vcpus_create(vm);
	for (struct device *d = vm->devices; d && !ret; d = d->next)
		ret = restore_device(d, idx++, r);
	if (!ret && snap_reader_find(r, SNAP_SEC_DEVICE, idx, &extra, &len) == 0) {
		pr_err("snapshot has more devices than this VM (%u)", idx);
		ret = -EINVAL;
	}
	if (!ret)
		ret = vm_ram_ready(vm);
	if (!ret)
		ret = arch_snapshot_restore(vm, r, o);
	/* The arch may have replaced KVM's routes (arm64: CTRL_INIT). */
	if (!ret)
		ret = irq_routes_reinstall(vm);
	for (struct device *d = vm->devices; d && !ret; d = d->next)
		if (d->ops && d->ops->restored && (ret = d->ops->restored(d)))
			pr_err("device %s: cannot finish its restore: %s",
			       d->name, strerror(-ret));
	return ret;
}
