/* i8042.c: enough of the PS/2 controller, keyboard and mouse for Linux's probe and reset. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "device.h"
#include "log.h"
#include "sbuf.h"
#include "util.h"
#include "vm.h"
#include "devices/i8042.h"

/* Status register. */
#define STR_OBF	    0x01 /* output buffer full */
#define STR_SYS	    0x04 /* system flag, from the command byte */
#define STR_CMD	    0x08 /* last write went to port 0x64 */
#define STR_UNLOCK  0x10 /* keyboard not inhibited by the key lock */
#define STR_AUXDATA 0x20 /* the byte in the output buffer is from aux */

/* Command byte (controller RAM byte 0). */
#define CTR_KBDINT  0x01
#define CTR_AUXINT  0x02
#define CTR_SYS	    0x04
#define CTR_KBDDIS  0x10
#define CTR_AUXDIS  0x20
#define CTR_DEFAULT 0x47 /* as a BIOS leaves it: both IRQs, SYS, XLATE */

/* Controller commands. */
#define CMD_READ_RAM	0x20 /* 0x20-0x3f: read RAM byte (0 = CTR) */
#define CMD_WRITE_RAM	0x60 /* 0x60-0x7f: write RAM byte */
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE	0xa8
#define CMD_AUX_TEST	0xa9
#define CMD_SELF_TEST	0xaa
#define CMD_KBD_TEST	0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE	0xae
#define CMD_READ_OUTP	0xd0
#define CMD_WRITE_OUTP	0xd1
#define CMD_WRITE_KBD	0xd2 /* as if the keyboard sent it */
#define CMD_WRITE_AUX	0xd3 /* as if the mouse sent it (aux loop) */
#define CMD_TO_AUX	0xd4 /* next data byte goes to the mouse */
#define CMD_PULSE	0xf0 /* 0xf0-0xff: pulse output port bits 0-3 low */

#define OUTP_RESET   0x01 /* 0 holds the CPU in reset */
#define OUTP_DEFAULT 0x03 /* reset line high, A20 enabled */

/* Device replies. */
#define PS2_ACK	      0xfa
#define PS2_BAT_OK    0xaa
#define PS2_ECHO      0xee
#define PS2_RESET     0xff
#define PS2_GET_ID    0xf2
#define KBD_SET_LEDS  0xed
#define KBD_SCANSET   0xf0
#define KBD_TYPEMATIC 0xf3
#define AUX_SET_RES   0xe8
#define AUX_STATUS    0xe9
#define AUX_SET_RATE  0xf3

#define I8042_QUEUE_LEN 16

struct i8042_byte {
	uint8_t val;
	bool aux;
};

struct i8042 {
	struct device dev;
	pthread_mutex_t lock;
	struct vm *vm;
	uint8_t ram[32];      /* ram[0] is the command byte (CTR) */
	uint8_t outport;
	uint8_t pending;      /* controller command waiting for its data byte */
	uint8_t kbd_param;    /* keyboard command waiting for a parameter */
	uint8_t aux_param;    /* mouse command waiting for a parameter */
	bool last_was_cmd;
	struct i8042_byte queue[I8042_QUEUE_LEN]; /* head = output buffer */
	unsigned int head, count;
	uint8_t last_read;
	bool kbd_level, aux_level;
	bool irq_err_logged;
	uint64_t dropped;
};

static void i8042_set_line(struct i8042 *k, uint32_t irq, bool *cur, bool want)
{
	int err;

	if (*cur == want)
		return;
	*cur = want;
	err = vm_irq_line(k->vm, irq, want);
	if (err < 0 && !k->irq_err_logged) {
		k->irq_err_logged = true;
		pr_warn("i8042: cannot drive IRQ %u: %d", irq, err);
	}
}

/* The line of the byte in the output buffer is high if its CTR bit allows. */
static void i8042_update_irq(struct i8042 *k)
{
	bool kbd = false, aux = false;

	if (k->count) {
		if (k->queue[k->head].aux)
			aux = k->ram[0] & CTR_AUXINT;
		else
			kbd = k->ram[0] & CTR_KBDINT;
	}
	i8042_set_line(k, I8042_KBD_IRQ, &k->kbd_level, kbd);
	i8042_set_line(k, I8042_AUX_IRQ, &k->aux_level, aux);
}

static void i8042_push(struct i8042 *k, uint8_t val, bool aux)
{
	struct i8042_byte *b;

	if (k->count == I8042_QUEUE_LEN) {
		k->dropped++;
		return;
	}
	b = &k->queue[(k->head + k->count) % I8042_QUEUE_LEN];
	b->val = val;
	b->aux = aux;
	k->count++;
}

static void i8042_push_n(struct i8042 *k, const uint8_t *vals, size_t n,
			 bool aux)
{
	size_t i;

	for (i = 0; i < n; i++)
		i8042_push(k, vals[i], aux);
}

static void i8042_reset_request(struct i8042 *k, const char *how, uint8_t val)
{
	vm_request_end(k->vm, VM_END_RESET, 0,
		       "guest reset via i8042 (%s 0x%02x)", how, val);
}

/* A byte for the keyboard: the replies of an AT keyboard. */
static void i8042_kbd_write(struct i8042 *k, uint8_t val)
{
	static const uint8_t reset[] = { PS2_ACK, PS2_BAT_OK };
	static const uint8_t id[] = { PS2_ACK, 0xab, 0x83 };
	uint8_t cmd = k->kbd_param;

	k->kbd_param = 0;
	if (cmd) {
		i8042_push(k, PS2_ACK, false);
		if (cmd == KBD_SCANSET && val == 0)
			i8042_push(k, 0x02, false); /* current set: 2 */
		return;
	}
	switch (val) {
	case PS2_RESET:
		i8042_push_n(k, reset, sizeof(reset), false);
		break;
	case PS2_GET_ID:
		i8042_push_n(k, id, sizeof(id), false);
		break;
	case PS2_ECHO:
		i8042_push(k, PS2_ECHO, false);
		break;
	case KBD_SET_LEDS:
	case KBD_SCANSET:
	case KBD_TYPEMATIC:
		k->kbd_param = val;
		i8042_push(k, PS2_ACK, false);
		break;
	default:
		i8042_push(k, PS2_ACK, false);
		break;
	}
}

/* A byte for the mouse (after 0xd4): a plain PS/2 mouse, ID 0. */
static void i8042_aux_write(struct i8042 *k, uint8_t val)
{
	static const uint8_t reset[] = { PS2_ACK, PS2_BAT_OK, 0x00 };
	static const uint8_t id[] = { PS2_ACK, 0x00 };
	/* Stream mode, disabled, 4 counts/mm, 100 samples/s. */
	static const uint8_t status[] = { PS2_ACK, 0x00, 0x02, 0x64 };

	if (k->aux_param) {
		k->aux_param = 0;
		i8042_push(k, PS2_ACK, true);
		return;
	}
	switch (val) {
	case PS2_RESET:
		i8042_push_n(k, reset, sizeof(reset), true);
		break;
	case PS2_GET_ID:
		i8042_push_n(k, id, sizeof(id), true);
		break;
	case AUX_STATUS:
		i8042_push_n(k, status, sizeof(status), true);
		break;
	case AUX_SET_RES:
	case AUX_SET_RATE:
		k->aux_param = val;
		i8042_push(k, PS2_ACK, true);
		break;
	default:
		i8042_push(k, PS2_ACK, true);
		break;
	}
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	k->last_was_cmd = true;
	k->pending = 0;
	if (cmd >= CMD_READ_RAM && cmd < CMD_READ_RAM + 0x20) {
		i8042_push(k, k->ram[cmd & 0x1f], false);
		return;
	}
	if (cmd >= CMD_PULSE) {
		if (!(cmd & OUTP_RESET))
			i8042_reset_request(k, "port 0x64", cmd);
		return;
	}
	switch (cmd) {
	case CMD_AUX_DISABLE:
		k->ram[0] |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		k->ram[0] &= (uint8_t)~CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		i8042_push(k, 0x00, false); /* no error */
		break;
	case CMD_SELF_TEST:
		k->ram[0] |= CTR_SYS;
		i8042_push(k, 0x55, false);
		break;
	case CMD_KBD_DISABLE:
		k->ram[0] |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		k->ram[0] &= (uint8_t)~CTR_KBDDIS;
		break;
	case CMD_READ_OUTP:
		i8042_push(k, k->outport, false);
		break;
	case CMD_WRITE_OUTP:
	case CMD_WRITE_KBD:
	case CMD_WRITE_AUX:
	case CMD_TO_AUX:
		k->pending = cmd;
		break;
	default:
		if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + 0x20)
			k->pending = cmd;
		else
			pr_debug("i8042: ignoring command 0x%02x", cmd);
		break;
	}
}

static void i8042_data(struct i8042 *k, uint8_t val)
{
	uint8_t cmd = k->pending;

	k->last_was_cmd = false;
	k->pending = 0;
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + 0x20) {
		k->ram[cmd & 0x1f] = val;
		return;
	}
	switch (cmd) {
	case CMD_WRITE_OUTP:
		k->outport = val;
		if (!(val & OUTP_RESET))
			i8042_reset_request(k, "output port write", val);
		break;
	case CMD_WRITE_KBD:
		i8042_push(k, val, false);
		break;
	case CMD_WRITE_AUX:
		i8042_push(k, val, true);
		break;
	case CMD_TO_AUX:
		i8042_aux_write(k, val);
		break;
	default:
		i8042_kbd_write(k, val);
		break;
	}
}

static uint8_t i8042_status(const struct i8042 *k)
{
	uint8_t s = STR_UNLOCK;

	if (k->count) {
		s |= STR_OBF;
		if (k->queue[k->head].aux)
			s |= STR_AUXDATA;
	}
	if (k->ram[0] & CTR_SYS)
		s |= STR_SYS;
	if (k->last_was_cmd)
		s |= STR_CMD;
	return s;
}

static uint8_t i8042_read_data(struct i8042 *k)
{
	if (k->count) {
		k->last_read = k->queue[k->head].val;
		k->head = (k->head + 1) % I8042_QUEUE_LEN;
		k->count--;
	}
	/* The buffer emptied: the line falls, then rises for the next byte. */
	i8042_set_line(k, I8042_KBD_IRQ, &k->kbd_level, false);
	i8042_set_line(k, I8042_AUX_IRQ, &k->aux_level, false);
	return k->last_read;
}

static void i8042_access(void *opaque, bool is_cmd, uint8_t *data,
			 uint32_t len, bool is_write)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	if (is_write && is_cmd)
		i8042_command(k, data[0]);
	else if (is_write)
		i8042_data(k, data[0]);
	else if (is_cmd)
		data[0] = i8042_status(k);
	else
		data[0] = i8042_read_data(k);
	i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
	if (!is_write && len > 1)
		memset(data + 1, 0xff, len - 1);
}

static void i8042_data_read(void *opaque, uint64_t offset, uint8_t *data,
			    uint32_t len)
{
	i8042_access(opaque, false, data, len, false);
}

static void i8042_data_write(void *opaque, uint64_t offset,
			     const uint8_t *data, uint32_t len)
{
	uint8_t v = data[0];

	i8042_access(opaque, false, &v, 1, true);
}

static void i8042_cmd_read(void *opaque, uint64_t offset, uint8_t *data,
			   uint32_t len)
{
	i8042_access(opaque, true, data, len, false);
}

static void i8042_cmd_write(void *opaque, uint64_t offset, const uint8_t *data,
			    uint32_t len)
{
	uint8_t v = data[0];

	i8042_access(opaque, true, &v, 1, true);
}

static const struct bus_ops i8042_data_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

static const struct bus_ops i8042_cmd_ops = {
	.read = i8042_cmd_read,
	.write = i8042_cmd_write,
};

static void i8042_power_on(struct i8042 *k)
{
	memset(k->ram, 0, sizeof(k->ram));
	k->ram[0] = CTR_DEFAULT;
	k->outport = OUTP_DEFAULT;
	k->pending = 0;
	k->kbd_param = 0;
	k->aux_param = 0;
	k->last_was_cmd = false;
	k->head = 0;
	k->count = 0;
	k->last_read = 0;
}

static void i8042_reset(struct device *dev)
{
	struct i8042 *k = container_of(dev, struct i8042, dev);

	pthread_mutex_lock(&k->lock);
	i8042_power_on(k);
	i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

static void i8042_report(struct device *dev)
{
	struct i8042 *k = container_of(dev, struct i8042, dev);

	pr_debug("i8042: %llu output bytes dropped (queue full)",
		 (unsigned long long)k->dropped);
}

static void i8042_destroy(struct device *dev)
{
	struct i8042 *k = container_of(dev, struct i8042, dev);

	pthread_mutex_destroy(&k->lock);
	free(k);
}

/* Snapshot: controller RAM, pending command state and the output queue. */
static int i8042_save(struct device *dev, struct sbuf *b)
{
	struct i8042 *k = container_of(dev, struct i8042, dev);

	pthread_mutex_lock(&k->lock);
	sbuf_put_bytes(b, k->ram, sizeof(k->ram));
	sbuf_put_u8(b, k->outport);
	sbuf_put_u8(b, k->pending);
	sbuf_put_u8(b, k->kbd_param);
	sbuf_put_u8(b, k->aux_param);
	sbuf_put_u8(b, k->last_was_cmd);
	sbuf_put_u8(b, k->last_read);
	sbuf_put_u8(b, (uint8_t)k->count);
	for (unsigned int i = 0; i < k->count; i++) {
		const struct i8042_byte *q =
			&k->queue[(k->head + i) % I8042_QUEUE_LEN];

		sbuf_put_u8(b, q->val);
		sbuf_put_u8(b, q->aux);
	}
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static int i8042_restore(struct device *dev, struct sbuf_reader *in)
{
	struct i8042 *k = container_of(dev, struct i8042, dev);
	unsigned int n;

	pthread_mutex_lock(&k->lock);
	sbuf_get_bytes(in, k->ram, sizeof(k->ram));
	k->outport = sbuf_get_u8(in);
	k->pending = sbuf_get_u8(in);
	k->kbd_param = sbuf_get_u8(in);
	k->aux_param = sbuf_get_u8(in);
	k->last_was_cmd = sbuf_get_u8(in) != 0;
	k->last_read = sbuf_get_u8(in);
	n = sbuf_get_u8(in);
	k->head = 0;
	k->count = 0;
	for (unsigned int i = 0; i < n && i < I8042_QUEUE_LEN; i++) {
		k->queue[i].val = sbuf_get_u8(in);
		k->queue[i].aux = sbuf_get_u8(in) != 0;
		k->count++;
	}
	if (n > I8042_QUEUE_LEN || in->err) {
		i8042_power_on(k);
		pthread_mutex_unlock(&k->lock);
		return -EBADMSG;
	}
	i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static const struct device_ops i8042_dev_ops = {
	.reset = i8042_reset,
	.destroy = i8042_destroy,
	.report = i8042_report,
	.save = i8042_save,
	.restore = i8042_restore,
};

int i8042_create(struct vm *vm)
{
	struct i8042 *k;
	int err;

	if (!vm)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	err = pthread_mutex_init(&k->lock, NULL);
	if (err) {
		free(k);
		return -err;
	}
	k->vm = vm;
	k->dev.name = "i8042";
	k->dev.ops = &i8042_dev_ops;
	i8042_power_on(k);

	err = bus_register(&vm->pio, I8042_DATA_PORT, 1, &i8042_data_ops, k,
			   "i8042 data");
	if (err < 0)
		goto fail;
	err = bus_register(&vm->pio, I8042_COMMAND_PORT, 1, &i8042_cmd_ops, k,
			   "i8042 command");
	if (err < 0) {
		bus_unregister(&vm->pio, I8042_DATA_PORT);
		goto fail;
	}
	vm_add_device(vm, &k->dev);
	return 0;
fail:
	i8042_destroy(&k->dev);
	return err;
}
