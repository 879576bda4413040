/* irq.h: interrupt plumbing through KVM: the VM's GSI routing table (irqchip pins and MSIs), irqfds and ioeventfds. */
#ifndef MINIVMM_IRQ_H
#define MINIVMM_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* Route types; the values are KVM's (checked in tests/unit/test_irq.c). */
#define IRQ_ROUTE_IRQCHIP 1
#define IRQ_ROUTE_MSI	  2

/* IRQ_ROUTE_MSI flag: devid is valid (ITS-style MSI controllers). */
#define IRQ_MSI_VALID_DEVID 1

/* One GSI route in our own terms; vmm/irq.c turns it into KVM's entry. */
struct irq_route {
	uint32_t gsi;
	uint32_t type;	/* IRQ_ROUTE_* */
	uint32_t flags; /* IRQ_MSI_VALID_DEVID */
	union {
		struct {
			uint32_t chip; /* arch-specific irqchip id */
			uint32_t pin;
		} irqchip;
		struct {
			uint64_t addr;
			uint32_t data;
			uint32_t devid;
		} msi;
	};
};

/* What KVM offers, as found by irq_init(). */
#define IRQ_CAP_ROUTING	   (1u << 0) /* KVM_CAP_IRQ_ROUTING */
#define IRQ_CAP_IRQFD	   (1u << 1) /* KVM_CAP_IRQFD */
#define IRQ_CAP_IOEVENTFD  (1u << 2) /* KVM_CAP_IOEVENTFD */
#define IRQ_CAP_SIGNAL_MSI (1u << 3) /* KVM_CAP_SIGNAL_MSI */
#define IRQ_CAP_MSI_DEVID  (1u << 4) /* KVM_CAP_MSI_DEVID: MSIs carry a devid */

/*
 * Threads: every call below may come from any thread (MSI-X table writes
 * arrive on vCPU threads); vm->irq has its own mutex. irq_init() runs on the
 * main thread before the vCPUs start, after the arch created its irqchip.
 *
 * Routes: irq_init() loads the arch's irqchip routes (arch_irq_default_
 * routes); KVM_SET_GSI_ROUTING replaces KVM's whole table, so they are
 * always part of what irq_routes_commit() installs. MSI routes get GSIs
 * above the irqchip's. Adding, updating and removing only edit the table;
 * irq_routes_commit() installs it (once per batch, when it changed).
 */

/* Sets up vm->irq (idempotent) and registers it as a VM device, so it is
 * freed with the VM. Reads the capabilities; without KVM_CAP_IRQ_ROUTING
 * the table is still kept, but MSI routes are refused (-EOPNOTSUPP). */
int irq_init(struct vm *vm);
/* IRQ_CAP_* bits; 0 before irq_init(). */
unsigned int irq_caps(const struct vm *vm);
/* Is 'cap' (one IRQ_CAP_* bit) there? If not, logs "'what' needs KVM's
 * <cap>" once at error level and returns -EOPNOTSUPP. */
int irq_require(struct vm *vm, unsigned int cap, const char *what);

/* A new MSI route; *gsi receives its GSI. -ENOSPC when KVM's route limit
 * is reached, -EOPNOTSUPP without routing. Not installed until commit.
 * devid: the sender's requester ID (PCI: bus << 8 | devfn); passed to KVM
 * (KVM_MSI_VALID_DEVID) only where it has KVM_CAP_MSI_DEVID, as an arm64
 * VM with an ITS, which translates MSIs by device. */
int irq_msi_route_add(struct vm *vm, uint64_t addr, uint32_t data,
		      uint32_t devid, uint32_t *gsi);
/* -ENOENT if gsi is not one of our MSI routes. Unchanged values do not
 * dirty the table. */
int irq_msi_route_update(struct vm *vm, uint32_t gsi, uint64_t addr,
			 uint32_t data, uint32_t devid);
int irq_msi_route_remove(struct vm *vm, uint32_t gsi);
/* Installs the table with KVM_SET_GSI_ROUTING if it changed since the last
 * commit. Errors are logged here, once per failed commit. */
int irq_routes_commit(struct vm *vm);
/* Installs the table again, changed or not: after KVM replaced its own
 * (arm64's vGIC CTRL_INIT installs its default routes, so a restore that
 * initialises the vGIC after the devices routed their MSIs needs this).
 * 0 without routing. */
int irq_routes_reinstall(struct vm *vm);
/* The current table (defaults first); for tests and debugging. Returns the
 * number of routes copied into out (at most max) or the total if out==NULL. */
unsigned int irq_routes_get(struct vm *vm, struct irq_route *out,
			    unsigned int max);

/* KVM_IRQFD: writing eventfd 'fd' injects 'gsi' (edge, in the kernel). */
int irq_irqfd_assign(struct vm *vm, int fd, uint32_t gsi);
int irq_irqfd_deassign(struct vm *vm, int fd, uint32_t gsi);
/* KVM_SIGNAL_MSI: one message now, without a route (devid as above). */
int irq_signal_msi(struct vm *vm, uint64_t addr, uint32_t data,
		   uint32_t devid);

/* KVM_IOEVENTFD: a guest write of 'len' bytes (1, 2, 4, 8; 0 = any length,
 * MMIO only) at 'addr' signals 'fd' in the kernel instead of exiting. */
struct irq_ioeventfd {
	uint64_t addr;
	uint32_t len;
	int fd;
	bool pio;	/* port I/O instead of MMIO */
	bool datamatch; /* only writes of 'data' */
	uint64_t data;
};
int irq_ioeventfd_assign(struct vm *vm, const struct irq_ioeventfd *io);
int irq_ioeventfd_deassign(struct vm *vm, const struct irq_ioeventfd *io);

#endif
