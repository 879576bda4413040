/* uart8250.c: a 16550A-compatible UART register model wired to the guest console. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus.h"
#include "console.h"
#include "device.h"
#include "log.h"
#include "sbuf.h"
#include "util.h"
#include "vm.h"
#include "devices/uart8250.h"

/* Register offsets; the DLAB alternatives are in the comments. */
#define UART_RBR 0 /* read: RBR, write: THR; DLL when LCR.DLAB */
#define UART_IER 1 /* DLM when LCR.DLAB */
#define UART_IIR 2 /* read: IIR, write: FCR */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI	 0x01 /* received data available */
#define IER_THRI 0x02 /* THR empty */
#define IER_RLSI 0x04 /* receiver line status */
#define IER_MSI	 0x08 /* modem status */
#define IER_MASK 0x0f

#define IIR_MSI	    0x00
#define IIR_NO_INT  0x01
#define IIR_THRI    0x02
#define IIR_RDI	    0x04
#define IIR_RLSI    0x06
#define IIR_TIMEOUT 0x0c
#define IIR_ID_MASK 0x0f
#define IIR_FIFO    0xc0

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_DMA	     0x08
#define FCR_TRIGGER  0xc0

#define LCR_DLAB 0x80

#define MCR_DTR	 0x01
#define MCR_RTS	 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR	   0x01
#define LSR_OE	   0x02
#define LSR_PE	   0x04
#define LSR_FE	   0x08
#define LSR_BI	   0x10
#define LSR_THRE   0x20
#define LSR_TEMT   0x40
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS   0x01
#define MSR_DDSR   0x02
#define MSR_TERI   0x04
#define MSR_DDCD   0x08
#define MSR_CTS	   0x10
#define MSR_DSR	   0x20
#define MSR_RI	   0x40
#define MSR_DCD	   0x80
#define MSR_DELTAS 0x0f
/* Lines a terminal normally asserts: clear to send, data set ready, carrier. */
#define MSR_IDLE (MSR_CTS | MSR_DSR | MSR_DCD)

struct uart8250 {
	struct device dev;
	pthread_mutex_t lock;
	struct vm *vm;
	struct console *con;
	uint32_t irq;
	bool irq_level;	    /* what we last drove on the line */
	bool irq_err_logged;
	char name[32];

	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr;	     /* FIFO enable, DMA mode and trigger bits */
	uint8_t lsr_err;     /* error bits, sticky until LSR is read */
	uint8_t msr;
	bool thr_ipending;   /* THR-empty interrupt latched */
	uint8_t rx[UART8250_FIFO_SIZE];
	unsigned int rx_head, rx_count;
	uint8_t rbr;	     /* last byte read, returned on an empty read */
	bool rx_starved;     /* the console has input we refused */

	uint64_t tx_bytes, rx_bytes, overruns;
};

static bool fifo_on(const struct uart8250 *u)
{
	return u->fcr & FCR_ENABLE;
}

static unsigned int rx_capacity(const struct uart8250 *u)
{
	return fifo_on(u) ? UART8250_FIFO_SIZE : 1;
}

static unsigned int rx_trigger(const struct uart8250 *u)
{
	static const unsigned int levels[4] = { 1, 4, 8, 14 };

	return fifo_on(u) ? levels[u->fcr >> 6] : 1;
}

/* The highest-priority pending and enabled source, as IIR reports it. */
static uint8_t uart_iir(const struct uart8250 *u)
{
	uint8_t fifo = fifo_on(u) ? IIR_FIFO : 0;

	if ((u->ier & IER_RLSI) && (u->lsr_err & LSR_ERRORS))
		return fifo | IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_count) {
		/* Below the trigger level the 16550 would raise a character
		 * timeout a few character times later; report it at once. */
		if (u->rx_count < rx_trigger(u))
			return fifo | IIR_TIMEOUT;
		return fifo | IIR_RDI;
	}
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return fifo | IIR_THRI;
	if ((u->ier & IER_MSI) && (u->msr & MSR_DELTAS))
		return fifo | IIR_MSI;
	return fifo | IIR_NO_INT;
}

/* On a PC the IRQ reaches the PIC only through the OUT2 pin, which loopback
 * forces inactive. Drives the line only when its level changes. */
static void uart_update_irq(struct uart8250 *u)
{
	bool level = !(uart_iir(u) & IIR_NO_INT) && (u->mcr & MCR_OUT2) &&
		     !(u->mcr & MCR_LOOP);
	int err;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	err = vm_irq_line(u->vm, u->irq, level);
	if (err < 0 && !u->irq_err_logged) {
		u->irq_err_logged = true;
		pr_warn("%s: cannot drive IRQ %u: %d", u->name, u->irq, err);
	}
}

static void rx_clear(struct uart8250 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* Tells the console it may push again once the guest has drained the FIFO. */
static void rx_kick(struct uart8250 *u)
{
	if (!u->rx_starved || u->rx_count || (u->mcr & MCR_LOOP) || !u->con)
		return;
	u->rx_starved = false;
	console_rx_ready(u->con);
}

static bool rx_push(struct uart8250 *u, uint8_t c)
{
	if (u->rx_count >= rx_capacity(u))
		return false;
	u->rx[(u->rx_head + u->rx_count) % UART8250_FIFO_SIZE] = c;
	u->rx_count++;
	return true;
}

/* A byte that cannot wait (loopback): on overrun the 16450 holding register
 * is overwritten, while a full 16550 FIFO keeps its contents. */
static void rx_push_overrun(struct uart8250 *u, uint8_t c)
{
	if (rx_push(u, c))
		return;
	u->lsr_err |= LSR_OE;
	u->overruns++;
	if (!fifo_on(u))
		u->rx[u->rx_head] = c;
}

static void rx_pop(struct uart8250 *u)
{
	if (!u->rx_count)
		return;
	u->rbr = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART8250_FIFO_SIZE;
	u->rx_count--;
}

/* Modem status inputs: fixed lines normally, the MCR outputs in loopback. */
static void uart_update_msr(struct uart8250 *u)
{
	uint8_t old = u->msr, lines = MSR_IDLE, delta = 0;

	if (u->mcr & MCR_LOOP) {
		lines = 0;
		if (u->mcr & MCR_RTS)
			lines |= MSR_CTS;
		if (u->mcr & MCR_DTR)
			lines |= MSR_DSR;
		if (u->mcr & MCR_OUT1)
			lines |= MSR_RI;
		if (u->mcr & MCR_OUT2)
			lines |= MSR_DCD;
	}
	if ((old ^ lines) & MSR_CTS)
		delta |= MSR_DCTS;
	if ((old ^ lines) & MSR_DSR)
		delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(lines & MSR_RI))
		delta |= MSR_TERI;
	if ((old ^ lines) & MSR_DCD)
		delta |= MSR_DDCD;
	u->msr = lines | (old & MSR_DELTAS) | delta;
}

static uint8_t uart_read_reg(struct uart8250 *u, unsigned int reg)
{
	uint8_t val;

	switch (reg) {
	case UART_RBR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		rx_pop(u);
		rx_kick(u);
		return u->rbr;
	case UART_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR:
		val = uart_iir(u);
		if ((val & IIR_ID_MASK) == IIR_THRI)
			u->thr_ipending = false;
		return val;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		/* Transmission is instantaneous: THR and shifter are empty. */
		val = u->lsr_err | LSR_THRE | LSR_TEMT;
		if (u->rx_count)
			val |= LSR_DR;
		u->lsr_err = 0;
		return val;
	case UART_MSR:
		val = u->msr;
		u->msr &= (uint8_t)~MSR_DELTAS;
		return val;
	default:
		return u->scr;
	}
}

/* A THR write; returns true when 'c' must go to the console. */
static bool uart_transmit(struct uart8250 *u, uint8_t c)
{
	bool to_console = false;

	u->thr_ipending = false;
	if (u->mcr & MCR_LOOP)
		rx_push_overrun(u, c);
	else
		to_console = true;
	u->tx_bytes++;
	/* The byte left at once, so THR is empty again: a new THRE event. */
	u->thr_ipending = true;
	return to_console;
}

static void uart_write_fcr(struct uart8250 *u, uint8_t val)
{
	/* Switching between 16450 and FIFO mode empties the FIFOs. */
	if ((val ^ u->fcr) & FCR_ENABLE)
		rx_clear(u);
	if (!(val & FCR_ENABLE)) {
		u->fcr = 0; /* the other bits only program with FCR.0 set */
		return;
	}
	if (val & FCR_CLEAR_RX)
		rx_clear(u);
	u->fcr = val & (FCR_ENABLE | FCR_DMA | FCR_TRIGGER);
}

static void uart_write_ier(struct uart8250 *u, uint8_t val)
{
	uint8_t changed = (u->ier ^ val) & IER_THRI;

	u->ier = val & IER_MASK;
	/* THR is always empty: enabling ETBEI raises THRE at once. */
	if (changed)
		u->thr_ipending = u->ier & IER_THRI;
}

static void uart_write_mcr(struct uart8250 *u, uint8_t val)
{
	u->mcr = val & MCR_MASK;
	uart_update_msr(u);
}

/* Returns true when 'val' is a byte for the console. */
static bool uart_write_reg(struct uart8250 *u, unsigned int reg, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case UART_RBR:
		if (!dlab)
			return uart_transmit(u, val);
		u->dll = val;
		break;
	case UART_IER:
		if (dlab)
			u->dlm = val;
		else
			uart_write_ier(u, val);
		break;
	case UART_IIR:
		uart_write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		uart_write_mcr(u, val);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default: /* LSR and MSR writes (factory test) are ignored */
		break;
	}
	return false;
}

static void uart_read(void *opaque, uint64_t offset, uint8_t *data,
		      uint32_t len)
{
	struct uart8250 *u = opaque;
	uint32_t i;

	pthread_mutex_lock(&u->lock);
	/* Wider accesses are split into byte cycles, as on the ISA bus. */
	for (i = 0; i < len; i++) {
		if (offset + i < UART8250_NR_PORTS)
			data[i] = uart_read_reg(u, (unsigned int)(offset + i));
		else
			data[i] = 0xff;
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_write(void *opaque, uint64_t offset, const uint8_t *data,
		       uint32_t len)
{
	struct uart8250 *u = opaque;
	uint8_t out[8];
	size_t n = 0;
	uint32_t i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < len && offset + i < UART8250_NR_PORTS; i++) {
		if (uart_write_reg(u, (unsigned int)(offset + i), data[i]) &&
		    n < sizeof(out))
			out[n++] = data[i];
	}
	rx_kick(u);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	/* Outside the lock (the console may block briefly), but before the
	 * access completes, so the guest's own ordering is kept. */
	if (n && u->con)
		console_write(u->con, out, n);
}

static const struct bus_ops uart_ops = {
	.read = uart_read,
	.write = uart_write,
};

/* Console input: takes what fits in the RX FIFO, the rest waits. */
static size_t uart_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct uart8250 *u = opaque;
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	/* In loopback the receiver is disconnected from the line. */
	while (!(u->mcr & MCR_LOOP) && n < len && rx_push(u, buf[n]))
		n++;
	if (n < len)
		u->rx_starved = true;
	u->rx_bytes += n;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

static void uart_power_on(struct uart8250 *u)
{
	u->ier = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->scr = 0;
	u->dll = 0x0c; /* 9600 baud */
	u->dlm = 0;
	u->fcr = 0;
	u->lsr_err = 0;
	u->msr = MSR_IDLE;
	u->thr_ipending = false;
	u->rbr = 0;
	rx_clear(u);
}

static void uart_reset(struct device *dev)
{
	struct uart8250 *u = container_of(dev, struct uart8250, dev);

	pthread_mutex_lock(&u->lock);
	uart_power_on(u);
	rx_kick(u);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_report(struct device *dev)
{
	struct uart8250 *u = container_of(dev, struct uart8250, dev);

	pr_debug("%s: %llu bytes out, %llu in, %llu overruns", u->name,
		 (unsigned long long)u->tx_bytes,
		 (unsigned long long)u->rx_bytes,
		 (unsigned long long)u->overruns);
}

static void uart_destroy(struct device *dev)
{
	struct uart8250 *u = container_of(dev, struct uart8250, dev);

	pthread_mutex_destroy(&u->lock);
	free(u);
}

/* Snapshot: the register file and the RX FIFO, in FIFO order. */
static int uart_save(struct device *dev, struct sbuf *b)
{
	struct uart8250 *u = container_of(dev, struct uart8250, dev);
	const uint8_t regs[] = { u->ier, u->lcr, u->mcr, u->scr, u->dll,
				 u->dlm, u->fcr, u->lsr_err, u->msr, u->rbr,
				 u->thr_ipending };

	pthread_mutex_lock(&u->lock);
	sbuf_put_bytes(b, regs, sizeof(regs));
	sbuf_put_u8(b, (uint8_t)u->rx_count);
	for (unsigned int i = 0; i < u->rx_count; i++)
		sbuf_put_u8(b, u->rx[(u->rx_head + i) % UART8250_FIFO_SIZE]);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

static int uart_restore(struct device *dev, struct sbuf_reader *in)
{
	struct uart8250 *u = container_of(dev, struct uart8250, dev);
	uint8_t regs[11], n;

	sbuf_get_bytes(in, regs, sizeof(regs));
	n = sbuf_get_u8(in);
	if (in->err || n > UART8250_FIFO_SIZE)
		return -EBADMSG;
	pthread_mutex_lock(&u->lock);
	u->ier = regs[0];
	u->lcr = regs[1];
	u->mcr = regs[2];
	u->scr = regs[3];
	u->dll = regs[4];
	u->dlm = regs[5];
	u->fcr = regs[6];
	u->lsr_err = regs[7];
	u->msr = regs[8];
	u->rbr = regs[9];
	u->thr_ipending = regs[10] != 0;
	rx_clear(u);
	for (unsigned int i = 0; i < n; i++)
		u->rx[i] = sbuf_get_u8(in);
	u->rx_count = n;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return in->err;
}

static const struct device_ops uart_dev_ops = {
	.reset = uart_reset,
	.destroy = uart_destroy,
	.report = uart_report,
	.save = uart_save,
	.restore = uart_restore,
};

int uart8250_create(struct vm *vm, struct bus *bus, uint64_t base,
		    uint32_t irq, struct console *con, struct uart8250 **out)
{
	struct uart8250 *u;
	int err;

	if (!vm || !bus)
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	err = pthread_mutex_init(&u->lock, NULL);
	if (err) {
		free(u);
		return -err;
	}
	u->vm = vm;
	u->con = con;
	u->irq = irq;
	snprintf(u->name, sizeof(u->name), "uart8250@0x%llx",
		 (unsigned long long)base);
	u->dev.name = u->name;
	u->dev.ops = &uart_dev_ops;
	uart_power_on(u);

	err = bus_register(bus, base, UART8250_NR_PORTS, &uart_ops, u, u->name);
	if (err < 0) {
		uart_destroy(&u->dev);
		return err;
	}
	vm_add_device(vm, &u->dev);
	if (con)
		console_set_receiver(con, uart_receive, u);
	if (out)
		*out = u;
	return 0;
}
