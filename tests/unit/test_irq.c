/* test_irq.c: unit tests of the GSI routing table, irqfd and ioeventfd plumbing against a fake KVM. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <linux/kvm.h>

#include "unit.h"
#include "device.h"
#include "irq.h"
#include "kvm.h"
#include "vm.h"

_Static_assert(IRQ_ROUTE_IRQCHIP == KVM_IRQ_ROUTING_IRQCHIP, "irqchip");
_Static_assert(IRQ_ROUTE_MSI == KVM_IRQ_ROUTING_MSI, "msi");

#define MAX_ROUTES 4096

/* ---- the fake KVM ---- */

static struct {
	long caps[256];
	long fail;		/* next KVM_SET_GSI_ROUTING returns this */
	int set_routing;	/* KVM_SET_GSI_ROUTING calls */
	unsigned int nr;
	struct kvm_irq_routing_entry e[MAX_ROUTES];
	int irqfds;
	struct kvm_irqfd irqfd;
	int ioeventfds;
	struct kvm_ioeventfd ioev;
	int msis;
	struct kvm_msi msi;
	struct device *dev;
} fk;

long kvm_check_cap(struct vm *vm, unsigned int cap)
{
	return cap < 256 ? fk.caps[cap] : 0;
}

long kvm_sys_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	return -ENOTTY;
}

long kvm_vcpu_ioctl(struct vcpu *vcpu, unsigned long req, void *arg)
{
	return -ENOTTY;
}

int kvm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	return 0;
}

static long fake_set_routing(const struct kvm_irq_routing *r)
{
	long ret = fk.fail;

	fk.set_routing++;
	fk.fail = 0;
	if (ret)
		return ret;
	if (r->nr > MAX_ROUTES || r->flags)
		return -EINVAL;
	fk.nr = r->nr;
	memcpy(fk.e, r->entries, r->nr * sizeof(r->entries[0]));
	return 0;
}

long kvm_vm_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	switch (req) {
	case KVM_SET_GSI_ROUTING:
		return fake_set_routing(arg);
	case KVM_IRQFD:
		fk.irqfds++;
		fk.irqfd = *(struct kvm_irqfd *)arg;
		return 0;
	case KVM_IOEVENTFD:
		fk.ioeventfds++;
		fk.ioev = *(struct kvm_ioeventfd *)arg;
		return 0;
	case KVM_SIGNAL_MSI:
		fk.msis++;
		fk.msi = *(struct kvm_msi *)arg;
		return 1;
	}
	return -ENOTTY;
}

void vm_add_device(struct vm *vm, struct device *dev)
{
	fk.dev = dev;
}

static void fake_reset(long routes)
{
	memset(&fk, 0, sizeof(fk));
	fk.caps[KVM_CAP_IRQ_ROUTING] = routes;
	fk.caps[KVM_CAP_IRQFD] = 1;
	fk.caps[KVM_CAP_IOEVENTFD] = 1;
	fk.caps[KVM_CAP_SIGNAL_MSI] = 1;
}

static void vm_setup(struct vm *vm, long routes)
{
	memset(vm, 0, sizeof(*vm));
	fake_reset(routes);
	CHECK_EQ(irq_init(vm), 0);
	CHECK(vm->irq != NULL);
	CHECK(fk.dev != NULL);
}

static void vm_teardown(struct vm *vm)
{
	fk.dev->ops->destroy(fk.dev);
	CHECK(vm->irq == NULL);
}

/* An entry of the installed table by GSI and type, or NULL. */
static const struct kvm_irq_routing_entry *installed(uint32_t gsi,
						     uint32_t type,
						     uint32_t chip)
{
	for (unsigned int i = 0; i < fk.nr; i++)
		if (fk.e[i].gsi == gsi && fk.e[i].type == type &&
		    (type != KVM_IRQ_ROUTING_IRQCHIP ||
		     fk.e[i].u.irqchip.irqchip == chip))
			return &fk.e[i];
	return NULL;
}

/* ---- tests ---- */

static void test_defaults(void)
{
	struct irq_route r[64];
	struct vm vm;
	unsigned int n, pic = 0, ioapic = 0;

	vm_setup(&vm, MAX_ROUTES);
	CHECK_EQ(irq_caps(&vm), IRQ_CAP_ROUTING | IRQ_CAP_IRQFD |
					IRQ_CAP_IOEVENTFD | IRQ_CAP_SIGNAL_MSI);
	CHECK_EQ(irq_init(&vm), 0); /* idempotent */
	n = irq_routes_get(&vm, r, 64);
	CHECK_EQ(n, 40);
	CHECK_EQ(irq_routes_get(&vm, NULL, 0), 40);
	for (unsigned int i = 0; i < n; i++) {
		CHECK_EQ(r[i].type, IRQ_ROUTE_IRQCHIP);
		if (r[i].irqchip.chip == KVM_IRQCHIP_IOAPIC) {
			CHECK_EQ(r[i].irqchip.pin, r[i].gsi);
			ioapic++;
		} else {
			CHECK(r[i].gsi < 16);
			CHECK_EQ(r[i].irqchip.chip, r[i].gsi < 8 ?
						    KVM_IRQCHIP_PIC_MASTER :
						    KVM_IRQCHIP_PIC_SLAVE);
			CHECK_EQ(r[i].irqchip.pin, r[i].gsi % 8);
			pic++;
		}
	}
	CHECK_EQ(pic, 16);
	CHECK_EQ(ioapic, 24);
	/* Nothing changed: nothing to install. */
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.set_routing, 0);
	vm_teardown(&vm);
}

static void test_msi_routes(void)
{
	const struct kvm_irq_routing_entry *e;
	uint32_t a, b, c;
	struct vm vm;

	vm_setup(&vm, MAX_ROUTES);
	CHECK_EQ(irq_msi_route_add(&vm, 0xfee00000, 0x4041, 0, &a), 0);
	CHECK_EQ(irq_msi_route_add(&vm, 0x1fee01000ULL, 0x4042, 0x18, &b), 0);
	CHECK_EQ(a, 24); /* above the IOAPIC's 24 pins */
	CHECK_EQ(b, 25);
	CHECK_EQ(fk.set_routing, 0); /* batched */
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.set_routing, 1);
	CHECK_EQ(fk.nr, 42);
	/* The defaults are part of every table KVM gets. */
	CHECK(installed(4, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_IOAPIC));
	CHECK(installed(4, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_PIC_MASTER));
	CHECK(installed(10, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_PIC_SLAVE));
	CHECK(installed(23, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_IOAPIC));
	e = installed(b, KVM_IRQ_ROUTING_MSI, 0);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ(e->u.msi.address_lo, 0xfee01000);
		CHECK_EQ(e->u.msi.address_hi, 1);
		CHECK_EQ(e->u.msi.data, 0x4042);
		CHECK_EQ(e->flags, 0); /* no KVM_CAP_MSI_DEVID: no devid */
		CHECK_EQ(e->u.msi.devid, 0);
	}
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.set_routing, 1); /* clean: no call */

	/* Same values: still clean. New ones: one commit. */
	CHECK_EQ(irq_msi_route_update(&vm, a, 0xfee00000, 0x4041, 0), 0);
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.set_routing, 1);
	CHECK_EQ(irq_msi_route_update(&vm, a, 0xfee02000, 0x4051, 0), 0);
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.set_routing, 2);
	e = installed(a, KVM_IRQ_ROUTING_MSI, 0);
	CHECK(e && e->u.msi.address_lo == 0xfee02000 &&
	      e->u.msi.data == 0x4051);
	/* Reinstalled although clean (KVM replaced its table), same routes. */
	CHECK_EQ(irq_routes_reinstall(&vm), 0);
	CHECK_EQ(fk.set_routing, 3);
	e = installed(a, KVM_IRQ_ROUTING_MSI, 0);
	CHECK(e && e->u.msi.address_lo == 0xfee02000 &&
	      e->u.msi.data == 0x4051);
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.set_routing, 3);

	/* Only MSI routes can be updated or removed. */
	CHECK_EQ(irq_msi_route_update(&vm, 4, 0, 0, 0), -ENOENT);
	CHECK_EQ(irq_msi_route_remove(&vm, 4), -ENOENT);
	CHECK_EQ(irq_msi_route_remove(&vm, 999), -ENOENT);

	/* Removing frees the GSI for the next route. */
	CHECK_EQ(irq_msi_route_remove(&vm, a), 0);
	CHECK_EQ(irq_msi_route_remove(&vm, a), -ENOENT);
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.nr, 41);
	CHECK(!installed(a, KVM_IRQ_ROUTING_MSI, 0));
	CHECK(installed(b, KVM_IRQ_ROUTING_MSI, 0));
	CHECK_EQ(irq_msi_route_add(&vm, 0xfee00000, 1, 0, &c), 0);
	CHECK_EQ(c, a);
	vm_teardown(&vm);
}

static void test_limits(void)
{
	uint32_t gsi;
	struct vm vm;

	/* KVM allows 42 entries: the 40 defaults and two MSIs. */
	vm_setup(&vm, 42);
	CHECK_EQ(irq_msi_route_add(&vm, 0xfee00000, 1, 0, &gsi), 0);
	CHECK_EQ(irq_msi_route_add(&vm, 0xfee00000, 2, 0, &gsi), 0);
	CHECK_EQ(irq_msi_route_add(&vm, 0xfee00000, 3, 0, &gsi), -ENOSPC);
	CHECK_EQ(irq_msi_route_remove(&vm, gsi), 0);
	CHECK_EQ(irq_msi_route_add(&vm, 0xfee00000, 3, 0, &gsi), 0);
	vm_teardown(&vm);

	/* Many routes: the table grows past its first allocation. */
	vm_setup(&vm, MAX_ROUTES);
	for (unsigned int i = 0; i < 500; i++)
		CHECK_EQ(irq_msi_route_add(&vm, 0xfee00000, i, 0, &gsi), 0);
	CHECK_EQ(gsi, 24 + 499);
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.nr, 540);
	vm_teardown(&vm);

	/* No routing at all: MSIs are refused, plainly. */
	vm_setup(&vm, 0);
	CHECK_EQ(irq_msi_route_add(&vm, 0xfee00000, 1, 0, &gsi), -EOPNOTSUPP);
	CHECK_EQ(irq_require(&vm, IRQ_CAP_ROUTING, "test"), -EOPNOTSUPP);
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.set_routing, 0);
	vm_teardown(&vm);
}

static void test_commit_failure(void)
{
	uint32_t gsi;
	struct vm vm;

	vm_setup(&vm, MAX_ROUTES);
	CHECK_EQ(irq_msi_route_add(&vm, 0xfee00000, 1, 0, &gsi), 0);
	fk.fail = -EINVAL;
	CHECK_EQ(irq_routes_commit(&vm), -EINVAL);
	CHECK_EQ(fk.nr, 0);
	/* Still dirty: the next commit tries again. */
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.set_routing, 2);
	CHECK_EQ(fk.nr, 41);
	vm_teardown(&vm);
}

static void test_irqfd_ioeventfd(void)
{
	struct irq_ioeventfd io = { .addr = 0xc0003000, .len = 2, .fd = 7 };
	struct vm vm;

	vm_setup(&vm, MAX_ROUTES);
	CHECK_EQ(irq_irqfd_assign(&vm, 5, 30), 0);
	CHECK_EQ(fk.irqfd.fd, 5);
	CHECK_EQ(fk.irqfd.gsi, 30);
	CHECK_EQ(fk.irqfd.flags, 0);
	CHECK_EQ(irq_irqfd_deassign(&vm, 5, 30), 0);
	CHECK_EQ(fk.irqfd.flags, KVM_IRQFD_FLAG_DEASSIGN);
	CHECK_EQ(fk.irqfds, 2);

	CHECK_EQ(irq_ioeventfd_assign(&vm, &io), 0);
	CHECK_EQ(fk.ioev.addr, 0xc0003000);
	CHECK_EQ(fk.ioev.len, 2);
	CHECK_EQ(fk.ioev.fd, 7);
	CHECK_EQ(fk.ioev.flags, 0);
	io = (struct irq_ioeventfd){ .addr = 0x510, .len = 4, .fd = 8,
				     .pio = true, .datamatch = true,
				     .data = 0x1234 };
	CHECK_EQ(irq_ioeventfd_deassign(&vm, &io), 0);
	CHECK_EQ(fk.ioev.flags, KVM_IOEVENTFD_FLAG_PIO |
					KVM_IOEVENTFD_FLAG_DATAMATCH |
					KVM_IOEVENTFD_FLAG_DEASSIGN);
	CHECK_EQ(fk.ioev.datamatch, 0x1234);

	CHECK_EQ(irq_signal_msi(&vm, 0x1fee00000ULL, 0x31, 0), 0);
	CHECK_EQ(fk.msi.address_lo, 0xfee00000);
	CHECK_EQ(fk.msi.address_hi, 1);
	CHECK_EQ(fk.msi.data, 0x31);
	CHECK_EQ(fk.msi.flags, 0);
	vm_teardown(&vm);

	/* Missing capabilities: refused before KVM is asked. */
	memset(&vm, 0, sizeof(vm));
	fake_reset(MAX_ROUTES);
	fk.caps[KVM_CAP_IRQFD] = 0;
	fk.caps[KVM_CAP_IOEVENTFD] = 0;
	fk.caps[KVM_CAP_SIGNAL_MSI] = 0;
	CHECK_EQ(irq_init(&vm), 0);
	CHECK_EQ(irq_caps(&vm), IRQ_CAP_ROUTING);
	CHECK_EQ(irq_irqfd_assign(&vm, 5, 30), -EOPNOTSUPP);
	CHECK_EQ(irq_irqfd_assign(&vm, 5, 30), -EOPNOTSUPP);
	CHECK_EQ(irq_ioeventfd_assign(&vm, &io), -EOPNOTSUPP);
	CHECK_EQ(irq_signal_msi(&vm, 0xfee00000, 1, 0), -EOPNOTSUPP);
	CHECK_EQ(fk.irqfds + fk.ioeventfds + fk.msis, 0);
	vm_teardown(&vm);
}

/* vCPU threads adding and removing routes at once. */
static void *route_churn(void *arg)
{
	struct vm *vm = arg;
	uint32_t gsi[16];
	long bad = 0;

	for (unsigned int round = 0; round < 200; round++) {
		for (unsigned int i = 0; i < 16; i++)
			bad += irq_msi_route_add(vm, 0xfee00000, i, 0,
						 &gsi[i]) != 0;
		bad += irq_routes_commit(vm) != 0;
		for (unsigned int i = 0; i < 16; i++)
			bad += irq_msi_route_remove(vm, gsi[i]) != 0;
	}
	return (void *)bad;
}

static void test_threads(void)
{
	pthread_t t[4];
	void *bad;
	struct vm vm;

	vm_setup(&vm, MAX_ROUTES);
	for (unsigned int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, route_churn, &vm);
	for (unsigned int i = 0; i < 4; i++) {
		pthread_join(t[i], &bad);
		CHECK_EQ((long)bad, 0);
	}
	CHECK_EQ(irq_routes_get(&vm, NULL, 0), 40);
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.nr, 40);
	vm_teardown(&vm);
}

/* With KVM_CAP_MSI_DEVID (an arm64 ITS) routes and KVM_SIGNAL_MSI carry
 * the requester ID; a new devid alone dirties the table. */
static void test_msi_devid(void)
{
	const struct kvm_irq_routing_entry *e;
	uint32_t a;
	struct vm vm;

	memset(&vm, 0, sizeof(vm));
	fake_reset(MAX_ROUTES);
	fk.caps[KVM_CAP_MSI_DEVID] = 1;
	CHECK_EQ(irq_init(&vm), 0);
	CHECK(irq_caps(&vm) & IRQ_CAP_MSI_DEVID);
	CHECK_EQ(irq_msi_route_add(&vm, 0x08090040, 0x21, 0x10, &a), 0);
	CHECK_EQ(irq_routes_commit(&vm), 0);
	e = installed(a, KVM_IRQ_ROUTING_MSI, 0);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ(e->flags, KVM_MSI_VALID_DEVID);
		CHECK_EQ(e->u.msi.devid, 0x10);
		CHECK_EQ(e->u.msi.address_lo, 0x08090040);
		CHECK_EQ(e->u.msi.data, 0x21);
	}
	CHECK_EQ(irq_msi_route_update(&vm, a, 0x08090040, 0x21, 0x10), 0);
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.set_routing, 1); /* unchanged */
	CHECK_EQ(irq_msi_route_update(&vm, a, 0x08090040, 0x21, 0x18), 0);
	CHECK_EQ(irq_routes_commit(&vm), 0);
	CHECK_EQ(fk.set_routing, 2);
	e = installed(a, KVM_IRQ_ROUTING_MSI, 0);
	CHECK(e && e->u.msi.devid == 0x18);
	CHECK_EQ(irq_signal_msi(&vm, 0x08090040, 0x22, 0x18), 0);
	CHECK_EQ(fk.msi.flags, KVM_MSI_VALID_DEVID);
	CHECK_EQ(fk.msi.devid, 0x18);
	CHECK_EQ(fk.msi.data, 0x22);
	vm_teardown(&vm);
	fk.caps[KVM_CAP_MSI_DEVID] = 0;
}

int main(void)
{
	test_defaults();
	test_msi_routes();
	test_msi_devid();
	test_limits();
	test_commit_failure();
	test_irqfd_ioeventfd();
	test_threads();
	return unit_done("irq");
}
