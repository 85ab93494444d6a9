/* DRIVER.irq=msix|msi|intx on the command line narrows which interrupt kind
 * pci_attach_irq() may pick (tests prove each path; a host may also need it). */
#ifndef KESTREL_VMW_IRQ_PARAM_H
#define KESTREL_VMW_IRQ_PARAM_H
unsigned vmw_irq_allowed(const char *key);
#endif
