/* ioctl_num.h: the generic Linux ioctl number encoding (x86, arm64, riscv, loongarch), freestanding. */
#ifndef MINIVMM_IOCTL_NUM_H
#define MINIVMM_IOCTL_NUM_H

#define MVM_IOC_NONE  0UL
#define MVM_IOC_WRITE 1UL
#define MVM_IOC_READ  2UL
#define MVM_IOC(dir, type, nr, size) \
	(((dir) << 30) | ((unsigned long)(size) << 16) | ((type) << 8) | (nr))
#define MVM_IO(type, nr)	   MVM_IOC(MVM_IOC_NONE, (type), (nr), 0)
#define MVM_IOR(type, nr, size)	   MVM_IOC(MVM_IOC_READ, (type), (nr), (size))
#define MVM_IOW(type, nr, size)	   MVM_IOC(MVM_IOC_WRITE, (type), (nr), (size))
#define MVM_IOWR(type, nr, size) \
	MVM_IOC(MVM_IOC_READ | MVM_IOC_WRITE, (type), (nr), (size))
#define MVM_KVMIO 0xAEUL

#endif
