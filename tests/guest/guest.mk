# guest.mk: freestanding x86-64 guest programs for the guest tests.
GUEST_BINS :=
