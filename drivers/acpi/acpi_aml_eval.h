/* Private to drivers/acpi: a small AML evaluator, written from the ACPI
 * specification's AML grammar (section 20). It loads the definition blocks
 * into a namespace of named objects, then runs the control methods firmware
 * writes for interrupt routing (_PIC, _PRT, a link device's _CRS). Bounded
 * in every direction: fixed node and arena sizes, an instruction budget per
 * evaluation and per boot, a method call depth and a nesting depth.
 * Operation region fields are accessed only for SystemIO and PCI_Config,
 * only through the caller's io callback (which may refuse); any other
 * address space fails the evaluation. See docs/ARCHITECTURE.md (PCI INTx
 * routing) for what is supported. */
#ifndef KESTREL_ACPI_AML_EVAL_H
#define KESTREL_ACPI_AML_EVAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_NODES 4096 /* QEMU's pc DSDT needs about 360 */
#define AML_ARENA_BYTES (128u * 1024)
#define AML_MAX_STEPS 200000u   /* opcodes per top-level evaluation */
#define AML_MAX_TOTAL_STEPS 2000000u /* per aml_vm_init: a boot's worth of AML */
#define AML_MAX_CALL_DEPTH 6    /* nested method invocations (VirtualBox's _PIC needs 4) */
#define AML_MAX_EXPR_DEPTH 16   /* nested operands and blocks: bounds the C stack */
#define AML_MAX_FRAMES (AML_MAX_CALL_DEPTH + 4) /* calls, plus Name and region evaluation */
#define AML_MAX_TABLES 16

enum aml_type {
    AML_T_NONE,
    AML_T_INT,
    AML_T_STR,
    AML_T_BUF,
    AML_T_PKG,
    AML_T_NAME,    /* a name inside a package, resolved by whoever reads it */
    AML_T_NODE,    /* a reference to a namespace object (RefOf, a device) */
    AML_T_REF_PKG, /* Index() into a package: obj.ref.pkg->elems[index] */
    AML_T_REF_BUF, /* Index() into a buffer: one byte */
    AML_T_FIELD,   /* a buffer field (CreateDWordField ...) */
};

struct aml_obj {
    uint8_t type;
    uint32_t len; /* STR/BUF: bytes; PKG: elements */
    union {
        uint64_t ival;
        uint8_t *bytes;
        struct aml_obj *elems;
        struct {
            const uint8_t *aml; /* the NameString's bytes */
            uint16_t len, scope;
        } name;
        uint16_t node;
        struct {
            struct aml_obj *pkg; /* REF_PKG: the package's element array */
            uint8_t *buf;        /* REF_BUF: the buffer's bytes */
            uint32_t index;
        } ref;
        struct {
            uint8_t *buf;
            uint32_t buf_len, bit_off, bit_len;
        } field;
    };
};

enum aml_kind {
    AML_N_SCOPE,
    AML_N_DEVICE,
    AML_N_NAME,
    AML_N_METHOD,
    AML_N_REGION,
    AML_N_FIELD,    /* a named field of an operation region (flags: access type, AML_FIELD_INDEXED) */
    AML_N_BUFFIELD, /* CreateXField: val is an AML_T_FIELD */
    AML_N_OTHER,    /* mutex, event, processor, index field...: exists, no value */
};

#define AML_FIELD_INDEXED 0x80

struct aml_node {
    char name[4];
    uint16_t parent;
    uint8_t kind;
    uint8_t flags;      /* method: MethodFlags; field: access type */
    const uint8_t *aml; /* name: its data object; method: body; region: offset term */
    uint32_t len;       /* bytes at aml */
    union {
        struct aml_obj *val; /* name/buffer field: value once evaluated */
        struct {
            uint32_t bit_off, bit_len;
            uint16_t region; /* index field: its index field */
            uint16_t data;   /* index field: its data field */
        } fld;
        struct {
            uint64_t base;
            uint32_t len;
            uint8_t space;
            bool ready;
        } rgn;
    };
};

#define AML_SPACE_IO 1
#define AML_SPACE_PCI 2
/* The PCI_Config address of (bus, dev, fn) at off, as the io callback sees it. */
#define AML_PCI_ADDR(bus, dev, fn, off) ((uint64_t)(bus) << 20 | (uint64_t)(dev) << 15 | (uint64_t)(fn) << 12 | (off))

/* An operation region access a method performs: space AML_SPACE_IO (port
 * addr) or AML_SPACE_PCI (AML_PCI_ADDR), width 1, 2 or 4 bytes. 0, or
 * negative to refuse (the evaluation then fails). No other address space
 * (SystemMemory, EmbeddedControl, SMBus, ...) is ever passed on. */
typedef int (*aml_io_fn)(void *ctx, unsigned space, bool write, uint64_t addr, unsigned width, uint32_t *v);

/* A method's locals and arguments (and the scope names resolve in). Kept
 * in the vm, not on the C stack, which at boot is 16 KiB. */
struct aml_frame {
    struct aml_obj local[8], arg[7];
    uint16_t scope;
    struct aml_obj ret;
};

struct aml_vm {
    struct aml_node nodes[AML_MAX_NODES];
    unsigned n_nodes;
    _Alignas(16) uint8_t arena[AML_ARENA_BYTES];
    size_t arena_used;
    unsigned steps, total_steps, expr_depth, call_depth;
    unsigned int_bits; /* 32 for definition blocks of revision < 2 */
    aml_io_fn io;
    void *io_ctx;
    unsigned io_reads, io_writes; /* accesses performed, for the log */
    unsigned load_errors;  /* term lists whose rest could not be loaded */
    /* Sizing a region's offset and length at load: a read the evaluator may
     * not do (SystemMemory, such as Xen's hvmloader info page) yields 0 and
     * sets unknown, so the region exists but is never accessed, and the
     * names after it still load. */
    bool sizing, unknown;
    const char *error;     /* why the last evaluation failed */
    struct aml_frame frames[AML_MAX_FRAMES];
    unsigned n_frames;
    struct aml_frame *frame; /* the current one */
};

/* Empties the namespace (the root and \_SB_, \_GPE, \_PR_, \_TZ_, \_SI_). */
void aml_vm_init(struct aml_vm *vm, aml_io_fn io, void *io_ctx);
/* Loads one definition block's AML (the table after its 36-byte header);
 * revision is the table header's. 0, or negative when nothing loaded. */
int aml_vm_load(struct aml_vm *vm, const uint8_t *aml, uint32_t len, uint8_t revision);
/* The node at an absolute path such as "\\_SB_.PCI0._PRT" (4-character
 * segments), or a child of scope by one segment; -1 when absent. */
int aml_vm_find(const struct aml_vm *vm, const char *path);
int aml_vm_child(const struct aml_vm *vm, unsigned scope, const char seg[4]);
/* Evaluates a node: a method is run with args, a name gives its value.
 * *out points into the arena until the next aml_vm_init. 0 or -errno. */
int aml_vm_eval(struct aml_vm *vm, unsigned node, const struct aml_obj *args, unsigned nargs, struct aml_obj *out);
/* The node a package's name element (AML_T_NAME) or reference names; -1. */
int aml_vm_resolve(const struct aml_vm *vm, const struct aml_obj *o);

#endif
