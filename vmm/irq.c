/* irq.c: the VM's GSI routing table (irqchip defaults plus MSI routes) installed in KVM, irqfds and ioeventfds. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>

#include "arch.h"
#include "device.h"
#include "irq.h"
#include "kvm.h"
#include "log.h"
#include "util.h"
#include "vm.h"

#define IRQ_DEFAULT_MAX 128  /* room for the arch's irqchip routes */
#define IRQ_GSI_LIMIT	4096 /* KVM_MAX_IRQ_ROUTES on every arch today */

struct irq_routing {
	struct device dev;
	struct vm *vm;
	pthread_mutex_t lock;
	unsigned int caps;	   /* IRQ_CAP_*, constant after init */
	unsigned int warned;	   /* caps already reported missing */
	struct irq_route *routes;  /* irqchip defaults, then MSIs */
	unsigned int nr, cap;
	unsigned int nr_defaults;
	uint32_t msi_base;	   /* first GSI above the irqchip's */
	uint32_t gsi_limit;	   /* GSIs below this; also the route limit */
	uint64_t *gsi_used;	   /* bitmap over [msi_base, gsi_limit) */
	bool dirty;		   /* changed since the last commit */
};

static struct irq_routing *irq_of(const struct vm *vm)
{
	return vm->irq;
}

unsigned int irq_caps(const struct vm *vm)
{
	return vm->irq ? vm->irq->caps : 0;
}

static const char *irq_cap_name(unsigned int cap)
{
	switch (cap) {
	case IRQ_CAP_ROUTING:
		return "KVM_CAP_IRQ_ROUTING";
	case IRQ_CAP_IRQFD:
		return "KVM_CAP_IRQFD";
	case IRQ_CAP_IOEVENTFD:
		return "KVM_CAP_IOEVENTFD";
	case IRQ_CAP_SIGNAL_MSI:
		return "KVM_CAP_SIGNAL_MSI";
	case IRQ_CAP_MSI_DEVID:
		return "KVM_CAP_MSI_DEVID";
	}
	return "?";
}

int irq_require(struct vm *vm, unsigned int cap, const char *what)
{
	struct irq_routing *r = irq_of(vm);
	unsigned int seen;

	if (r && (r->caps & cap))
		return 0;
	if (!r) {
		pr_err("%s: interrupt routing is not set up", what);
		return -EOPNOTSUPP;
	}
	seen = __atomic_fetch_or(&r->warned, cap, __ATOMIC_RELAXED);
	if (!(seen & cap))
		pr_err("%s needs %s, which this KVM does not offer", what,
		       irq_cap_name(cap));
	return -EOPNOTSUPP;
}

static unsigned int irq_probe_caps(struct vm *vm, uint32_t *limit)
{
	static const struct {
		unsigned int kvm_cap, ours;
	} map[] = {
		{ KVM_CAP_IRQ_ROUTING, IRQ_CAP_ROUTING },
		{ KVM_CAP_IRQFD, IRQ_CAP_IRQFD },
		{ KVM_CAP_IOEVENTFD, IRQ_CAP_IOEVENTFD },
		{ KVM_CAP_SIGNAL_MSI, IRQ_CAP_SIGNAL_MSI },
		{ KVM_CAP_MSI_DEVID, IRQ_CAP_MSI_DEVID },
	};
	unsigned int caps = 0;
	long ret;

	*limit = 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(map); i++) {
		ret = kvm_check_cap(vm, map[i].kvm_cap);
		if (ret <= 0)
			continue;
		caps |= map[i].ours;
		if (map[i].ours == IRQ_CAP_ROUTING)
			*limit = ret < IRQ_GSI_LIMIT ? (uint32_t)ret :
						       IRQ_GSI_LIMIT;
	}
	return caps;
}

static void irq_free(struct irq_routing *r)
{
	pthread_mutex_destroy(&r->lock);
	free(r->gsi_used);
	free(r->routes);
	free(r);
}

static void irq_dev_destroy(struct device *dev)
{
	struct irq_routing *r = container_of(dev, struct irq_routing, dev);

	r->vm->irq = NULL;
	irq_free(r);
}

static const struct device_ops irq_dev_ops = {
	.destroy = irq_dev_destroy,
};

/* The arch's irqchip routes; MSI GSIs start above the highest of them. */
static int irq_load_defaults(struct irq_routing *r)
{
	int n;

	r->routes = calloc(IRQ_DEFAULT_MAX, sizeof(*r->routes));
	if (!r->routes)
		return -ENOMEM;
	r->cap = IRQ_DEFAULT_MAX;
	n = arch_irq_default_routes(r->vm, r->routes, IRQ_DEFAULT_MAX);
	if (n < 0) {
		pr_err("irq: the arch's default GSI routes: %s", strerror(-n));
		return n;
	}
	r->nr = r->nr_defaults = (unsigned int)n;
	for (unsigned int i = 0; i < r->nr; i++)
		if (r->routes[i].gsi >= r->msi_base)
			r->msi_base = r->routes[i].gsi + 1;
	return 0;
}

static int irq_setup(struct irq_routing *r)
{
	size_t words;
	int ret;

	r->caps = irq_probe_caps(r->vm, &r->gsi_limit);
	ret = irq_load_defaults(r);
	if (ret)
		return ret;
	if (r->gsi_limit < r->msi_base)
		r->gsi_limit = r->msi_base; /* no room: MSIs get -ENOSPC */
	words = (r->gsi_limit - r->msi_base + 63) / 64;
	r->gsi_used = calloc(words ? words : 1, sizeof(uint64_t));
	return r->gsi_used ? 0 : -ENOMEM;
}

int irq_init(struct vm *vm)
{
	struct irq_routing *r;
	int ret;

	if (vm->irq)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = -pthread_mutex_init(&r->lock, NULL);
	if (ret) {
		free(r);
		return ret;
	}
	r->vm = vm;
	ret = irq_setup(r);
	if (ret) {
		irq_free(r);
		return ret;
	}
	r->dev.name = "irq-routing";
	r->dev.ops = &irq_dev_ops;
	vm->irq = r;
	vm_add_device(vm, &r->dev);
	return 0;
}

/* ---- the table (r->lock held) ---- */

static int irq_gsi_alloc(struct irq_routing *r, uint32_t *gsi)
{
	uint32_t n = r->gsi_limit - r->msi_base;

	for (uint32_t i = 0; i < n; i++) {
		if (r->gsi_used[i / 64] & (1ULL << (i % 64)))
			continue;
		r->gsi_used[i / 64] |= 1ULL << (i % 64);
		*gsi = r->msi_base + i;
		return 0;
	}
	return -ENOSPC;
}

static void irq_gsi_free(struct irq_routing *r, uint32_t gsi)
{
	uint32_t i = gsi - r->msi_base;

	r->gsi_used[i / 64] &= ~(1ULL << (i % 64));
}

static int irq_table_grow(struct irq_routing *r)
{
	unsigned int cap = r->cap * 2;
	struct irq_route *p = realloc(r->routes, cap * sizeof(*p));

	if (!p)
		return -ENOMEM;
	r->routes = p;
	r->cap = cap;
	return 0;
}

/* Index of MSI route 'gsi', or -1. */
static int irq_msi_find(const struct irq_routing *r, uint32_t gsi)
{
	for (unsigned int i = r->nr_defaults; i < r->nr; i++)
		if (r->routes[i].gsi == gsi)
			return (int)i;
	return -1;
}

/* With KVM_CAP_MSI_DEVID (an arm64 ITS) KVM needs the requester ID. */
static void irq_msi_fill(const struct irq_routing *r, struct irq_route *rt,
			 uint64_t addr, uint32_t data, uint32_t devid)
{
	rt->msi.addr = addr;
	rt->msi.data = data;
	rt->flags = r->caps & IRQ_CAP_MSI_DEVID ? IRQ_MSI_VALID_DEVID : 0;
	rt->msi.devid = r->caps & IRQ_CAP_MSI_DEVID ? devid : 0;
}

static int irq_msi_add_locked(struct irq_routing *r, uint64_t addr,
			      uint32_t data, uint32_t devid, uint32_t *gsi)
{
	int ret;

	if (!(r->caps & IRQ_CAP_ROUTING))
		return -EOPNOTSUPP;
	if (r->nr >= r->gsi_limit)
		return -ENOSPC; /* KVM's limit counts entries, too */
	if (r->nr == r->cap && (ret = irq_table_grow(r)))
		return ret;
	ret = irq_gsi_alloc(r, gsi);
	if (ret)
		return ret;
	r->routes[r->nr] = (struct irq_route){
		.gsi = *gsi,
		.type = IRQ_ROUTE_MSI,
	};
	irq_msi_fill(r, &r->routes[r->nr++], addr, data, devid);
	r->dirty = true;
	return 0;
}

int irq_msi_route_add(struct vm *vm, uint64_t addr, uint32_t data,
		      uint32_t devid, uint32_t *gsi)
{
	struct irq_routing *r = irq_of(vm);
	int ret;

	if (!r)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&r->lock);
	ret = irq_msi_add_locked(r, addr, data, devid, gsi);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int irq_msi_route_update(struct vm *vm, uint32_t gsi, uint64_t addr,
			 uint32_t data, uint32_t devid)
{
	struct irq_routing *r = irq_of(vm);
	struct irq_route *rt, now;
	int i;

	if (!r)
		return -ENOENT;
	pthread_mutex_lock(&r->lock);
	i = irq_msi_find(r, gsi);
	if (i >= 0) {
		rt = &r->routes[i];
		now = *rt;
		irq_msi_fill(r, &now, addr, data, devid);
		if (rt->msi.addr != now.msi.addr ||
		    rt->msi.data != now.msi.data ||
		    rt->msi.devid != now.msi.devid || rt->flags != now.flags)
			r->dirty = true;
		*rt = now;
	}
	pthread_mutex_unlock(&r->lock);
	return i >= 0 ? 0 : -ENOENT;
}

int irq_msi_route_remove(struct vm *vm, uint32_t gsi)
{
	struct irq_routing *r = irq_of(vm);
	int i;

	if (!r)
		return -ENOENT;
	pthread_mutex_lock(&r->lock);
	i = irq_msi_find(r, gsi);
	if (i >= 0) {
		memmove(&r->routes[i], &r->routes[i + 1],
			(r->nr - (unsigned int)i - 1) * sizeof(r->routes[0]));
		r->nr--;
		irq_gsi_free(r, gsi);
		r->dirty = true;
	}
	pthread_mutex_unlock(&r->lock);
	return i >= 0 ? 0 : -ENOENT;
}

unsigned int irq_routes_get(struct vm *vm, struct irq_route *out,
			    unsigned int max)
{
	struct irq_routing *r = irq_of(vm);
	unsigned int n;

	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	n = out ? MIN(max, r->nr) : r->nr;
	if (out)
		memcpy(out, r->routes, n * sizeof(*out));
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* ---- installing it ---- */

static void irq_route_to_kvm(const struct irq_route *rt,
			     struct kvm_irq_routing_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->gsi = rt->gsi;
	e->type = rt->type;
	if (rt->type == IRQ_ROUTE_IRQCHIP) {
		e->u.irqchip.irqchip = rt->irqchip.chip;
		e->u.irqchip.pin = rt->irqchip.pin;
		return;
	}
	e->flags = rt->flags & IRQ_MSI_VALID_DEVID ? KVM_MSI_VALID_DEVID : 0;
	e->u.msi.address_lo = (uint32_t)rt->msi.addr;
	e->u.msi.address_hi = (uint32_t)(rt->msi.addr >> 32);
	e->u.msi.data = rt->msi.data;
	e->u.msi.devid = rt->msi.devid;
}

static int irq_commit_locked(struct irq_routing *r)
{
	struct kvm_irq_routing *kr;
	long ret;

	kr = calloc(1, sizeof(*kr) + r->nr * sizeof(kr->entries[0]));
	if (!kr)
		return -ENOMEM;
	kr->nr = r->nr;
	for (unsigned int i = 0; i < r->nr; i++)
		irq_route_to_kvm(&r->routes[i], &kr->entries[i]);
	ret = kvm_vm_ioctl(r->vm, KVM_SET_GSI_ROUTING, kr);
	free(kr);
	if (ret < 0) {
		pr_err("KVM_SET_GSI_ROUTING with %u routes failed: %s", r->nr,
		       strerror((int)-ret));
		return (int)ret;
	}
	r->dirty = false;
	return 0;
}

int irq_routes_commit(struct vm *vm)
{
	struct irq_routing *r = irq_of(vm);
	int ret = 0;

	if (!r)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&r->lock);
	if (r->dirty) {
		ret = irq_require(vm, IRQ_CAP_ROUTING, "GSI routing");
		if (!ret)
			ret = irq_commit_locked(r);
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int irq_routes_reinstall(struct vm *vm)
{
	struct irq_routing *r = irq_of(vm);
	int ret;

	if (!r || !(r->caps & IRQ_CAP_ROUTING))
		return 0;
	pthread_mutex_lock(&r->lock);
	ret = irq_commit_locked(r);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* ---- irqfd, ioeventfd, MSI ---- */

static int irq_irqfd(struct vm *vm, int fd, uint32_t gsi, uint32_t flags)
{
	struct kvm_irqfd k = { .fd = (uint32_t)fd, .gsi = gsi, .flags = flags };
	long ret = irq_require(vm, IRQ_CAP_IRQFD, "irqfd");

	if (!ret)
		ret = kvm_vm_ioctl(vm, KVM_IRQFD, &k);
	if (ret < 0 && ret != -EOPNOTSUPP)
		pr_err("KVM_IRQFD %s fd %d, GSI %u: %s",
		       flags ? "deassign" : "assign", fd, gsi,
		       strerror((int)-ret));
	return (int)ret;
}

int irq_irqfd_assign(struct vm *vm, int fd, uint32_t gsi)
{
	return irq_irqfd(vm, fd, gsi, 0);
}

int irq_irqfd_deassign(struct vm *vm, int fd, uint32_t gsi)
{
	return irq_irqfd(vm, fd, gsi, KVM_IRQFD_FLAG_DEASSIGN);
}

int irq_signal_msi(struct vm *vm, uint64_t addr, uint32_t data,
		   uint32_t devid)
{
	struct kvm_msi m = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};
	long ret = irq_require(vm, IRQ_CAP_SIGNAL_MSI, "MSI injection");

	if (irq_caps(vm) & IRQ_CAP_MSI_DEVID) {
		m.flags = KVM_MSI_VALID_DEVID;
		m.devid = devid;
	}
	if (!ret)
		ret = kvm_vm_ioctl(vm, KVM_SIGNAL_MSI, &m);
	return ret < 0 ? (int)ret : 0; /* > 0 delivered, 0 blocked */
}

static int irq_ioeventfd(struct vm *vm, const struct irq_ioeventfd *io,
			 uint32_t flags)
{
	struct kvm_ioeventfd k = {
		.datamatch = io->data,
		.addr = io->addr,
		.len = io->len,
		.fd = io->fd,
		.flags = flags,
	};
	long ret = irq_require(vm, IRQ_CAP_IOEVENTFD, "ioeventfd");

	if (io->pio)
		k.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (io->datamatch)
		k.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
	if (!ret)
		ret = kvm_vm_ioctl(vm, KVM_IOEVENTFD, &k);
	if (ret < 0 && ret != -EOPNOTSUPP)
		pr_err("KVM_IOEVENTFD %s %s 0x%llx len %u: %s",
		       flags ? "deassign" : "assign", io->pio ? "pio" : "mmio",
		       (unsigned long long)io->addr, io->len,
		       strerror((int)-ret));
	return (int)ret;
}

int irq_ioeventfd_assign(struct vm *vm, const struct irq_ioeventfd *io)
{
	return irq_ioeventfd(vm, io, 0);
}

int irq_ioeventfd_deassign(struct vm *vm, const struct irq_ioeventfd *io)
{
	return irq_ioeventfd(vm, io, KVM_IOEVENTFD_FLAG_DEASSIGN);
}
