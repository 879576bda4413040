/* virtio_mmio_drv.c: virtio-mmio driver helpers shared by the test guests (vmmio.c, vhostile.c). */
#include "virtio_mmio_drv.h"

/* "4K@0xe0000000:5" */
static int parse_dev(const char *s, struct vmmio_dev *d)
{
	char num[24];
	u64 base, gsi;
	usize n = 0;

	while (*s && *s != '@')
		s++;
	if (*s++ != '@')
		return -1;
	while (*s && *s != ':' && n + 1 < sizeof(num))
		num[n++] = *s++;
	num[n] = 0;
	if (*s++ != ':' || parse_num(num, &base))
		return -1;
	for (n = 0; s[n] && s[n] != ' ' && n + 1 < sizeof(num); n++)
		num[n] = s[n];
	num[n] = 0;
	if (parse_num(num, &gsi))
		return -1;
	d->base = (usize)base;
	d->gsi = (u32)gsi;
	d->id = 0;
	return 0;
}

unsigned int vmmio_find_devs(const char *cl, struct vmmio_dev *devs,
			     unsigned int max)
{
	static const char key[] = "virtio_mmio.device=";
	unsigned int n = 0;

	while (cl && *cl) {
		while (*cl == ' ')
			cl++;
		if (!memcmp(cl, key, sizeof(key) - 1) && n < max &&
		    !parse_dev(cl + sizeof(key) - 1, &devs[n]))
			n++;
		while (*cl && *cl != ' ')
			cl++;
	}
	return n;
}

u32 vmmio_dev_feat(usize base, u32 sel)
{
	wr(base, R_DEV_FEAT_SEL, sel);
	return rd(base, R_DEV_FEAT);
}

int vmmio_negotiate(usize base, const u32 want[4])
{
	wr(base, R_STATUS, 0);
	if (rd(base, R_STATUS) != 0)
		return -1;
	wr(base, R_STATUS, S_ACK);
	wr(base, R_STATUS, S_ACK | S_DRIVER);
	for (u32 i = 0; i < 4; i++) {
		wr(base, R_DRV_FEAT_SEL, i);
		wr(base, R_DRV_FEAT, want[i]);
	}
	wr(base, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	return (rd(base, R_STATUS) & S_FEATURES_OK) != 0;
}

void vmmio_queue_program(usize base, u32 q, u32 size, u64 desc, u64 driver,
			 u64 device)
{
	wr(base, R_QUEUE_SEL, q);
	wr(base, R_QUEUE_NUM, size);
	wr(base, R_QUEUE_DESC, (u32)desc);
	wr(base, R_QUEUE_DESC + 4, (u32)(desc >> 32));
	wr(base, R_QUEUE_DRIVER, (u32)driver);
	wr(base, R_QUEUE_DRIVER + 4, (u32)(driver >> 32));
	wr(base, R_QUEUE_DEVICE, (u32)device);
	wr(base, R_QUEUE_DEVICE + 4, (u32)(device >> 32));
}
