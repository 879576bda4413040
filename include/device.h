/* device.h: the common header every emulated device embeds, and the VM's device list. */
#ifndef MINIVMM_DEVICE_H
#define MINIVMM_DEVICE_H

struct vm;
struct device;
struct sbuf;
struct sbuf_reader;

struct device_ops {
	/* Back to power-on state (guest reset). Optional. */
	void (*reset)(struct device *dev);
	/* Release everything the device holds; the VM frees nothing of it. */
	void (*destroy)(struct device *dev);
	/* One line of statistics for --loglevel debug at exit. Optional. */
	void (*report)(struct device *dev);
	/* Snapshot state, with every vCPU paused. A device without state
	 * leaves both NULL; restore rejects a payload it cannot fully parse. */
	int (*save)(struct device *dev, struct sbuf *out);
	int (*restore)(struct device *dev, struct sbuf_reader *in);
	/* After every device and the arch state (the interrupt controller)
	 * are restored, before any vCPU runs: what needs the controller
	 * initialised (irqfds). Optional. */
	int (*restored)(struct device *dev);
	/* Snapshots: hold the device's back-end still (nothing in flight,
	 * nothing written to guest RAM) from before the arch state is saved
	 * until after the RAM is written; unquiesce lets it go on. Main
	 * thread, vCPUs paused. Optional (both or neither). */
	int (*quiesce)(struct device *dev);
	void (*unquiesce)(struct device *dev);
};

struct device {
	const char *name;
	const struct device_ops *ops;
	struct device *next;
};

/* Adds dev to the VM's list; devices are destroyed in reverse order. */
void vm_add_device(struct vm *vm, struct device *dev);

#endif
