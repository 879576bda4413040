/* platform.c: keeps the VM's list of platform (MMIO) devices, placed by the arch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "log.h"
#include "platform.h"
#include "vm.h"

unsigned int platform_dev_count(const struct vm *vm)
{
	unsigned int n = 0;

	for (const struct platform_dev *p = vm->platform; p; p = p->next)
		n++;
	return n;
}

int platform_dev_add(struct vm *vm, const char *kind, uint64_t size,
		     struct platform_dev **out)
{
	struct platform_dev *p, **tail = &vm->platform;
	int ret;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	ret = arch_platform_alloc(vm, size, &p->base, &p->gsi);
	if (ret) {
		pr_err("no room for another %s device: %s", kind,
		       strerror(-ret));
		free(p);
		return ret;
	}
	p->kind = kind;
	p->size = size;
	p->index = platform_dev_count(vm);
	while (*tail)
		tail = &(*tail)->next;
	*tail = p;
	if (out)
		*out = p;
	return 0;
}

void platform_devs_free(struct vm *vm)
{
	while (vm->platform) {
		struct platform_dev *p = vm->platform;

		vm->platform = p->next;
		free(p);
	}
}
