/* The AML evaluator (acpi_aml_eval.h): a loader that builds the namespace
 * from a definition block's term list, and an interpreter that runs method
 * bodies straight from the AML bytes. Written from the ACPI specification's
 * grammar; objects live in a bump arena that is never freed piecemeal, so
 * packages and buffers are shared by reference between locals (a Store of a
 * package does not deep-copy it; the methods we run never rely on a copy). */
#include <string.h>
#include "errno.h"
#include "firmware.h"
#include "acpi_aml.h"
#include "acpi_aml_eval.h"

/* Opcodes (ACPI 6.5, 20.2). */
enum {
    OP_ZERO = 0x00, OP_ONE = 0x01, OP_ALIAS = 0x06, OP_NAME = 0x08, OP_BYTE = 0x0a, OP_WORD = 0x0b,
    OP_DWORD = 0x0c, OP_STRING = 0x0d, OP_QWORD = 0x0e, OP_SCOPE = 0x10, OP_BUFFER = 0x11, OP_PACKAGE = 0x12,
    OP_VARPACKAGE = 0x13, OP_METHOD = 0x14, OP_EXTERNAL = 0x15, OP_DUAL = 0x2e, OP_MULTI = 0x2f, OP_EXT = 0x5b,
    OP_LOCAL0 = 0x60, OP_LOCAL7 = 0x67, OP_ARG0 = 0x68, OP_ARG6 = 0x6e, OP_STORE = 0x70, OP_REFOF = 0x71,
    OP_ADD = 0x72, OP_CONCAT = 0x73, OP_SUBTRACT = 0x74, OP_INCREMENT = 0x75, OP_DECREMENT = 0x76,
    OP_MULTIPLY = 0x77, OP_DIVIDE = 0x78, OP_SHL = 0x79, OP_SHR = 0x7a, OP_AND = 0x7b, OP_NAND = 0x7c,
    OP_OR = 0x7d, OP_NOR = 0x7e, OP_XOR = 0x7f, OP_NOT = 0x80, OP_FINDSETLEFT = 0x81, OP_FINDSETRIGHT = 0x82,
    OP_DEREFOF = 0x83, OP_MOD = 0x85, OP_NOTIFY = 0x86, OP_SIZEOF = 0x87, OP_INDEX = 0x88,
    OP_CREATEDWORD = 0x8a, OP_CREATEWORD = 0x8b, OP_CREATEBYTE = 0x8c, OP_CREATEBIT = 0x8d,
    OP_CREATEQWORD = 0x8f, OP_LAND = 0x90, OP_LOR = 0x91, OP_LNOT = 0x92, OP_LEQUAL = 0x93, OP_LGREATER = 0x94,
    OP_LLESS = 0x95, OP_TOBUFFER = 0x96, OP_TOINTEGER = 0x99, OP_CONTINUE = 0x9f, OP_IF = 0xa0, OP_ELSE = 0xa1,
    OP_WHILE = 0xa2, OP_NOOP = 0xa3, OP_RETURN = 0xa4, OP_BREAK = 0xa5, OP_BREAKPOINT = 0xcc, OP_ONES = 0xff,
};
enum {
    EXT_MUTEX = 0x01, EXT_EVENT = 0x02, EXT_CONDREFOF = 0x12, EXT_CREATEFIELD = 0x13, EXT_STALL = 0x21,
    EXT_SLEEP = 0x22, EXT_ACQUIRE = 0x23, EXT_SIGNAL = 0x24, EXT_RELEASE = 0x27, EXT_REVISION = 0x30,
    EXT_DEBUG = 0x31, EXT_REGION = 0x80, EXT_FIELD = 0x81, EXT_DEVICE = 0x82, EXT_PROCESSOR = 0x83,
    EXT_POWERRES = 0x84, EXT_THERMAL = 0x85, EXT_INDEXFIELD = 0x86, EXT_BANKFIELD = 0x87,
};

/* How a term list or statement finished. */
enum { FLOW_NEXT, FLOW_RETURN, FLOW_BREAK, FLOW_CONTINUE };

#define MAX_LOAD_DEPTH 16 /* scopes and devices nested in a definition block */
#define MAX_PKG_ELEMS 4096

struct name_ref {
    bool root;
    uint8_t up, nseg;
    const uint8_t *segs;
};

/* A place a value can be stored to. */
struct target {
    enum { TGT_NONE, TGT_OBJ, TGT_NODE, TGT_REF } kind;
    struct aml_obj *obj; /* TGT_OBJ: a local or argument */
    unsigned node;       /* TGT_NODE */
    struct aml_obj ref;  /* TGT_REF: an Index() reference */
};

static int eval(struct aml_vm *vm, const uint8_t **pp, const uint8_t *end, struct aml_obj *out);
static int exec_list(struct aml_vm *vm, const uint8_t *p, const uint8_t *end);
static int load_list(struct aml_vm *vm, unsigned scope, const uint8_t *p, const uint8_t *end, unsigned depth);
static int create_field(struct aml_vm *vm, uint8_t op, const uint8_t **pp, const uint8_t *end);

static int fail(struct aml_vm *vm, const char *why, int err)
{
    if (!vm->error)
        vm->error = why;
    return err;
}

/* A new frame from the vm's pool (not yet current). */
static struct aml_frame *frame_push(struct aml_vm *vm, unsigned scope)
{
    if (vm->n_frames >= AML_MAX_FRAMES) {
        fail(vm, "no frame left", -ELOOP);
        return NULL;
    }
    struct aml_frame *f = &vm->frames[vm->n_frames++];
    memset(f, 0, sizeof(*f));
    f->scope = (uint16_t)scope;
    return f;
}

static void frame_pop(struct aml_vm *vm, struct aml_frame *saved)
{
    vm->n_frames--;
    vm->frame = saved;
}

static void *arena_alloc(struct aml_vm *vm, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (n > AML_ARENA_BYTES - vm->arena_used) {
        fail(vm, "arena exhausted", -ENOMEM);
        return NULL;
    }
    void *p = vm->arena + vm->arena_used;
    vm->arena_used += n;
    memset(p, 0, n);
    return p;
}

static uint64_t int_mask(const struct aml_vm *vm) { return vm->int_bits == 32 ? 0xffffffffull : ~0ull; }

static struct aml_obj int_obj(uint64_t v)
{
    struct aml_obj o = { .type = AML_T_INT };
    o.ival = v;
    return o;
}

/* ---- Names and the namespace ------------------------------------------ */

static bool lead_char(uint8_t c) { return c == '_' || (c >= 'A' && c <= 'Z'); }

static bool name_start(uint8_t c) { return c == '\\' || c == '^' || c == OP_DUAL || c == OP_MULTI || lead_char(c); }

/* A NameString at *pp (grammar 20.2.2); 0 or -EINVAL. */
static int parse_name(const uint8_t **pp, const uint8_t *end, struct name_ref *n)
{
    const uint8_t *p = *pp;
    memset(n, 0, sizeof(*n));
    if (p < end && *p == '\\') {
        n->root = true;
        p++;
    } else {
        while (p < end && *p == '^' && n->up < 255) {
            n->up++;
            p++;
        }
    }
    if (p >= end)
        return -EINVAL;
    if (*p == 0) {
        p++;
    } else if (*p == OP_DUAL) {
        n->nseg = 2;
        p++;
    } else if (*p == OP_MULTI) {
        if (end - p < 2 || p[1] == 0)
            return -EINVAL;
        n->nseg = p[1];
        p += 2;
    } else if (lead_char(*p)) {
        n->nseg = 1;
    } else {
        return -EINVAL;
    }
    if ((size_t)(end - p) < 4u * n->nseg)
        return -EINVAL;
    n->segs = p;
    *pp = p + 4u * n->nseg;
    return 0;
}

int aml_vm_child(const struct aml_vm *vm, unsigned scope, const char seg[4])
{
    /* Newest first: a method's temporary names shadow nothing else. */
    for (unsigned i = vm->n_nodes; i-- > 1;) {
        if (vm->nodes[i].parent == scope && memcmp(vm->nodes[i].name, seg, 4) == 0)
            return (int)i;
    }
    return -1;
}

/* The node a name refers to from scope (search rules of 5.3: a single
 * segment without prefix is looked up in scope, then each parent). */
static int lookup(const struct aml_vm *vm, unsigned scope, const struct name_ref *n)
{
    unsigned s = n->root ? 0 : scope;
    for (unsigned i = 0; i < n->up; i++) {
        if (s == 0)
            return -1;
        s = vm->nodes[s].parent;
    }
    if (n->nseg == 0)
        return (int)s;
    if (!n->root && n->up == 0 && n->nseg == 1) {
        for (;;) {
            int c = aml_vm_child(vm, s, (const char *)n->segs);
            if (c >= 0 || s == 0)
                return c;
            s = vm->nodes[s].parent;
        }
    }
    for (unsigned i = 0; i < n->nseg; i++) {
        int c = aml_vm_child(vm, s, (const char *)n->segs + 4 * i);
        if (c < 0)
            return -1;
        s = (unsigned)c;
    }
    return (int)s;
}

int aml_vm_find(const struct aml_vm *vm, const char *path)
{
    unsigned s = 0;
    if (*path == '\\')
        path++;
    while (*path) {
        if (strnlen(path, 4) < 4)
            return -1;
        int c = aml_vm_child(vm, s, path);
        if (c < 0)
            return -1;
        s = (unsigned)c;
        path += 4;
        if (*path == '.')
            path++;
    }
    return (int)s;
}

int aml_vm_resolve(const struct aml_vm *vm, const struct aml_obj *o)
{
    if (o->type == AML_T_NODE)
        return o->node < vm->n_nodes ? o->node : -1;
    if (o->type != AML_T_NAME)
        return -1;
    const uint8_t *p = o->name.aml;
    struct name_ref n;
    /* Parsed again within the bytes it was found in when the package was built. */
    if (parse_name(&p, p + o->name.len, &n) < 0 || o->name.scope >= vm->n_nodes)
        return -1;
    return lookup(vm, o->name.scope, &n);
}

/* Creates (or finds, when it exists: a loop re-running a Name) the node for
 * a name's last segment under the scope its prefix names. */
static int add_node(struct aml_vm *vm, unsigned scope, const struct name_ref *n, uint8_t kind)
{
    if (n->nseg == 0)
        return fail(vm, "empty name defined", -EINVAL);
    struct name_ref parent = *n;
    parent.nseg--;
    int s = parent.nseg || parent.root || parent.up ? lookup(vm, scope, &parent) : (int)scope;
    if (s < 0)
        return fail(vm, "definition under a missing scope", -ENOENT);
    const char *seg = (const char *)n->segs + 4 * (n->nseg - 1);
    int c = aml_vm_child(vm, (unsigned)s, seg);
    if (c >= 0) {
        /* Defined again: fine as the same kind (a loop re-running a Name
         * or CreateField), or a Scope that turns out to be a Device. Any
         * other kind would reinterpret the node's value: refused. */
        struct aml_node *x = &vm->nodes[c];
        bool containers = (x->kind == AML_N_SCOPE || x->kind == AML_N_DEVICE) &&
                          (kind == AML_N_SCOPE || kind == AML_N_DEVICE);
        if (x->kind != kind && !containers)
            return fail(vm, "name defined again as another kind", -EEXIST);
        if (containers && kind == AML_N_DEVICE)
            x->kind = kind;
        return c;
    }
    if (vm->n_nodes >= AML_MAX_NODES)
        return fail(vm, "namespace full", -ENOSPC);
    struct aml_node *x = &vm->nodes[vm->n_nodes];
    memset(x, 0, sizeof(*x));
    memcpy(x->name, seg, 4);
    x->parent = (uint16_t)s;
    x->kind = kind;
    return (int)vm->n_nodes++;
}

void aml_vm_init(struct aml_vm *vm, aml_io_fn io, void *io_ctx)
{
    memset(vm->nodes, 0, sizeof(vm->nodes[0]));
    memcpy(vm->nodes[0].name, "\\___", 4);
    vm->n_nodes = 1;
    vm->arena_used = 0;
    vm->steps = vm->total_steps = vm->expr_depth = vm->call_depth = 0;
    vm->int_bits = 64;
    vm->io = io;
    vm->io_ctx = io_ctx;
    vm->io_reads = vm->io_writes = 0;
    vm->load_errors = 0;
    vm->sizing = vm->unknown = false;
    vm->error = NULL;
    vm->frame = NULL;
    vm->n_frames = 0;
    static const char *const predefined[] = { "_SB_", "_GPE", "_PR_", "_TZ_", "_SI_" };
    for (unsigned i = 0; i < 5; i++) {
        struct name_ref n = { .root = true, .nseg = 1, .segs = (const uint8_t *)predefined[i] };
        add_node(vm, 0, &n, AML_N_SCOPE);
    }
}

/* ---- Skipping data objects (Name() values are evaluated when read) ----- */

/* Past one DataRefObject at *pp without evaluating it; 0 or -EINVAL. */
static int skip_data(const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;
    if (p >= end)
        return -EINVAL;
    unsigned nb;
    uint32_t plen;
    switch (*p) {
    case OP_ZERO:
    case OP_ONE:
    case OP_ONES:
        *pp = p + 1;
        return 0;
    case OP_BYTE:
    case OP_WORD:
    case OP_DWORD:
    case OP_QWORD: {
        size_t n = *p == OP_BYTE ? 2 : *p == OP_WORD ? 3 : *p == OP_DWORD ? 5 : 9;
        if ((size_t)(end - p) < n)
            return -EINVAL;
        *pp = p + n;
        return 0;
    }
    case OP_STRING: {
        const uint8_t *z = memchr(p + 1, 0, (size_t)(end - p - 1));
        if (!z)
            return -EINVAL;
        *pp = z + 1;
        return 0;
    }
    case OP_BUFFER:
    case OP_PACKAGE:
    case OP_VARPACKAGE:
        plen = aml_pkg_length(p + 1, end, &nb);
        if (!plen || plen > (uint32_t)(end - p - 1) || plen < nb)
            return -EINVAL;
        *pp = p + 1 + plen;
        return 0;
    case OP_EXT:
        if (end - p >= 2 && p[1] == EXT_REVISION) {
            *pp = p + 2;
            return 0;
        }
        return -EINVAL;
    }
    return -EINVAL;
}

/* ---- The loader --------------------------------------------------------- */

/* A field list (20.2.5.2): named fields become nodes over region. */
static int load_fields(struct aml_vm *vm, unsigned scope, int region, int data, uint8_t flags, const uint8_t *p,
                       const uint8_t *end)
{
    uint64_t bit = 0;
    uint8_t access = flags & 0x0f;
    while (p < end) {
        unsigned nb;
        uint32_t bits;
        if (*p == 0x00) { /* ReservedField */
            bits = aml_pkg_length(p + 1, end, &nb);
            if (!nb)
                return -EINVAL;
            bit += bits;
            p += 1 + nb;
        } else if (*p == 0x01) { /* AccessField: type, attribute */
            if (end - p < 3)
                return -EINVAL;
            access = p[1] & 0x0f;
            p += 3;
        } else if (*p == 0x03) { /* ExtendedAccessField */
            if (end - p < 4)
                return -EINVAL;
            access = p[1] & 0x0f;
            p += 4;
        } else if (*p == 0x02) { /* ConnectField: not ours to follow */
            return -EINVAL;
        } else if (lead_char(*p)) {
            if (end - p < 5)
                return -EINVAL;
            struct name_ref n = { .nseg = 1, .segs = p };
            bits = aml_pkg_length(p + 4, end, &nb);
            if (!nb)
                return -EINVAL;
            int c = add_node(vm, scope, &n, AML_N_FIELD);
            if (c < 0)
                return c;
            struct aml_node *x = &vm->nodes[c];
            x->flags = (uint8_t)(access | (data >= 0 ? AML_FIELD_INDEXED : 0));
            x->fld.bit_off = (uint32_t)bit;
            x->fld.bit_len = bits;
            x->fld.region = region < 0 ? 0xffff : (uint16_t)region;
            x->fld.data = data < 0 ? 0xffff : (uint16_t)data;
            bit += bits;
            p += 4 + nb;
        } else {
            return -EINVAL;
        }
        if (bit > 0xffffffffull)
            return -EINVAL;
    }
    return 0;
}

/* PkgLength at p: sets *body (after the length) and *pend. 0 or -EINVAL. */
static int pkg(const uint8_t *p, const uint8_t *end, const uint8_t **body, const uint8_t **pend)
{
    unsigned nb;
    uint32_t plen = aml_pkg_length(p, end, &nb);
    if (!nb || plen < nb || plen > (uint32_t)(end - p))
        return -EINVAL;
    *body = p + nb;
    *pend = p + plen;
    return 0;
}

/* One named-object term in a definition block; advances *pp. Terms the
 * loader cannot size stop the list (-EINVAL), the rest is skipped. */
/* A Create*Field met while loading: its source and index are evaluated now,
 * in a frame of the enclosing scope; a failure ends the list. */
static int load_create_field(struct aml_vm *vm, unsigned scope, uint8_t op, const uint8_t **pp, const uint8_t *p,
                             const uint8_t *end)
{
    struct aml_frame *saved = vm->frame, *f = frame_push(vm, scope);
    if (!f)
        return -ELOOP;
    vm->frame = f;
    int r = create_field(vm, op, &p, end);
    frame_pop(vm, saved);
    if (r < 0)
        return r;
    *pp = p;
    return 0;
}

static int load_term(struct aml_vm *vm, unsigned scope, const uint8_t **pp, const uint8_t *end, unsigned depth)
{
    const uint8_t *p = *pp, *body, *pend;
    struct name_ref n;
    int c;
    uint8_t op = *p++;
    if (op == OP_EXT) {
        if (p >= end)
            return -EINVAL;
        op = *p++;
        switch (op) {
        case EXT_DEVICE:
        case EXT_PROCESSOR:
        case EXT_POWERRES:
        case EXT_THERMAL: {
            if (pkg(p, end, &body, &pend) < 0 || parse_name(&body, pend, &n) < 0)
                return -EINVAL;
            size_t skip = op == EXT_PROCESSOR ? 6 : op == EXT_POWERRES ? 3 : 0;
            if ((size_t)(pend - body) < skip)
                return -EINVAL;
            c = add_node(vm, scope, &n, op == EXT_DEVICE ? AML_N_DEVICE : AML_N_SCOPE);
            if (c >= 0)
                load_list(vm, (unsigned)c, body + skip, pend, depth + 1);
            *pp = pend;
            return 0;
        }
        case EXT_REGION: {
            if (parse_name(&p, end, &n) < 0 || p >= end)
                return -EINVAL;
            uint8_t space = *p++;
            c = add_node(vm, scope, &n, AML_N_REGION);
            if (c < 0)
                return c;
            /* Offset and length are TermArgs: evaluated now, as the
             * specification says, so their length is known. */
            const uint8_t *start = p;
            struct aml_obj off, len;
            struct aml_frame *saved = vm->frame, *f = frame_push(vm, scope);
            if (!f)
                return -ELOOP;
            vm->frame = f;
            /* Saved and restored: a method run here may declare a region. */
            bool was_sizing = vm->sizing, was_unknown = vm->unknown;
            vm->sizing = true;
            vm->unknown = false;
            int r = eval(vm, &p, end, &off);
            if (r == 0)
                r = eval(vm, &p, end, &len);
            bool unknown = vm->unknown;
            vm->sizing = was_sizing;
            vm->unknown = was_unknown || unknown;
            frame_pop(vm, saved);
            if (r < 0)
                return r;
            struct aml_node *x = &vm->nodes[c];
            x->aml = start;
            x->len = (uint32_t)(p - start);
            x->rgn.space = space;
            x->rgn.base = off.type == AML_T_INT ? off.ival : 0;
            x->rgn.len = len.type == AML_T_INT && len.ival <= 0xffffffffull ? (uint32_t)len.ival : 0;
            x->rgn.ready = off.type == AML_T_INT && len.type == AML_T_INT && !unknown;
            *pp = p;
            return 0;
        }
        case EXT_FIELD:
        case EXT_INDEXFIELD:
        case EXT_BANKFIELD: {
            if (pkg(p, end, &body, &pend) < 0 || parse_name(&body, pend, &n) < 0)
                return -EINVAL;
            if (op == EXT_BANKFIELD) { /* bank name, then a TermArg we do not size */
                *pp = pend;
                return 0;
            }
            /* Field: its region. IndexField: its index and data fields,
             * which must be plain fields themselves. */
            int region = lookup(vm, scope, &n), data = -1;
            if (op == EXT_FIELD && (region < 0 || vm->nodes[region].kind != AML_N_REGION))
                region = -1;
            if (op == EXT_INDEXFIELD) {
                if (parse_name(&body, pend, &n) < 0)
                    return -EINVAL;
                data = lookup(vm, scope, &n);
                if (region < 0 || data < 0 || vm->nodes[region].kind != AML_N_FIELD ||
                    vm->nodes[data].kind != AML_N_FIELD || (vm->nodes[region].flags & AML_FIELD_INDEXED) ||
                    (vm->nodes[data].flags & AML_FIELD_INDEXED))
                    region = data = -1;
                if (data < 0)
                    data = 0xffff; /* names exist, reads fail */
            }
            if (body >= pend)
                return -EINVAL;
            uint8_t flags = *body++;
            load_fields(vm, scope, region, data, flags, body, pend); /* what loaded stays */
            *pp = pend;
            return 0;
        }
        case EXT_CREATEFIELD:
            return load_create_field(vm, scope, op, pp, p, end);
        case EXT_MUTEX:
            if (parse_name(&p, end, &n) < 0 || p >= end)
                return -EINVAL;
            add_node(vm, scope, &n, AML_N_OTHER);
            *pp = p + 1;
            return 0;
        case EXT_EVENT:
            if (parse_name(&p, end, &n) < 0)
                return -EINVAL;
            add_node(vm, scope, &n, AML_N_OTHER);
            *pp = p;
            return 0;
        }
        return -EINVAL;
    }
    switch (op) {
    case OP_SCOPE:
        if (pkg(p, end, &body, &pend) < 0 || parse_name(&body, pend, &n) < 0)
            return -EINVAL;
        c = lookup(vm, scope, &n);
        if (c < 0 && n.nseg)
            c = add_node(vm, scope, &n, AML_N_SCOPE); /* lenient: a scope named before its device */
        if (c >= 0)
            load_list(vm, (unsigned)c, body, pend, depth + 1);
        *pp = pend;
        return 0;
    case OP_NAME: {
        if (parse_name(&p, end, &n) < 0)
            return -EINVAL;
        const uint8_t *data = p;
        if (skip_data(&p, end) < 0)
            return -EINVAL;
        c = add_node(vm, scope, &n, AML_N_NAME);
        if (c >= 0) {
            vm->nodes[c].aml = data;
            vm->nodes[c].len = (uint32_t)(p - data);
            vm->nodes[c].val = NULL;
        }
        *pp = p;
        return 0;
    }
    case OP_METHOD:
        if (pkg(p, end, &body, &pend) < 0 || parse_name(&body, pend, &n) < 0 || body >= pend)
            return -EINVAL;
        c = add_node(vm, scope, &n, AML_N_METHOD);
        if (c >= 0) {
            vm->nodes[c].flags = *body;
            vm->nodes[c].aml = body + 1;
            vm->nodes[c].len = (uint32_t)(pend - body - 1);
        }
        *pp = pend;
        return 0;
    case OP_ALIAS: /* two names; the alias itself is not made */
        if (parse_name(&p, end, &n) < 0 || parse_name(&p, end, &n) < 0)
            return -EINVAL;
        *pp = p;
        return 0;
    case OP_EXTERNAL:
        if (parse_name(&p, end, &n) < 0 || end - p < 2)
            return -EINVAL;
        *pp = p + 2;
        return 0;
    case OP_CREATEDWORD:
    case OP_CREATEWORD:
    case OP_CREATEBYTE:
    case OP_CREATEBIT:
    case OP_CREATEQWORD: {
        /* A buffer field over a named buffer, at namespace level (Xen's
         * link devices set their _CRS's IRQ mask through one). */
        return load_create_field(vm, scope, op, pp, p, end);
    }
    case OP_IF:
    case OP_ELSE:
    case OP_WHILE: /* code at load time is not run: its names are not made */
        if (pkg(p, end, &body, &pend) < 0)
            return -EINVAL;
        *pp = pend;
        return 0;
    case OP_NOOP:
        *pp = p;
        return 0;
    }
    return -EINVAL;
}

static int load_list(struct aml_vm *vm, unsigned scope, const uint8_t *p, const uint8_t *end, unsigned depth)
{
    if (depth > MAX_LOAD_DEPTH) {
        vm->load_errors++;
        return -ELOOP;
    }
    while (p < end) {
        if (load_term(vm, scope, &p, end, depth) < 0) {
            vm->load_errors++;
            return -EINVAL;
        }
    }
    return 0;
}

int aml_vm_load(struct aml_vm *vm, const uint8_t *aml, uint32_t len, uint8_t revision)
{
    unsigned before = vm->n_nodes;
    vm->int_bits = revision < 2 ? 32 : 64;
    vm->steps = 0;
    vm->error = NULL;
    load_list(vm, 0, aml, aml + len, 0);
    return vm->n_nodes > before ? 0 : -EINVAL;
}

/* ---- Values -------------------------------------------------------------- */

static int step(struct aml_vm *vm)
{
    if (++vm->steps > AML_MAX_STEPS || ++vm->total_steps > AML_MAX_TOTAL_STEPS)
        return fail(vm, "instruction budget exhausted", -ELOOP);
    return 0;
}

static int to_int(struct aml_vm *vm, const struct aml_obj *o, uint64_t *v)
{
    switch (o->type) {
    case AML_T_INT:
        *v = o->ival & int_mask(vm);
        return 0;
    case AML_T_BUF: { /* the first bytes, little-endian (19.3.5.7) */
        uint64_t x = 0;
        unsigned n = o->len < vm->int_bits / 8 ? o->len : vm->int_bits / 8;
        for (unsigned i = 0; i < n; i++)
            x |= (uint64_t)o->bytes[i] << (8 * i);
        *v = x;
        return 0;
    }
    case AML_T_STR: { /* hexadecimal digits, as ToInteger and implicit conversion read them */
        uint64_t x = 0;
        const char *s = (const char *)o->bytes;
        if (o->len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
            s += 2;
        for (; *s; s++) {
            unsigned d = *s >= '0' && *s <= '9' ? (unsigned)(*s - '0')
                         : (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f' ? (unsigned)((*s | 0x20) - 'a' + 10) : 16;
            if (d == 16)
                break;
            x = x << 4 | d;
        }
        *v = x & int_mask(vm);
        return 0;
    }
    }
    return fail(vm, "operand is not an integer", -EINVAL);
}

static int field_get(struct aml_vm *vm, const struct aml_obj *f, uint64_t *v)
{
    if (f->field.bit_len == 0 || f->field.bit_len > 64 ||
        (uint64_t)f->field.bit_off + f->field.bit_len > (uint64_t)f->field.buf_len * 8)
        return fail(vm, "buffer field outside its buffer", -EINVAL);
    uint64_t x = 0;
    for (uint32_t i = 0; i < f->field.bit_len; i++) {
        uint32_t b = f->field.bit_off + i;
        x |= (uint64_t)((f->field.buf[b / 8] >> (b % 8)) & 1) << i;
    }
    *v = x;
    return 0;
}

static int field_set(struct aml_vm *vm, const struct aml_obj *f, uint64_t v)
{
    if (f->field.bit_len == 0 || f->field.bit_len > 64 ||
        (uint64_t)f->field.bit_off + f->field.bit_len > (uint64_t)f->field.buf_len * 8)
        return fail(vm, "buffer field outside its buffer", -EINVAL);
    for (uint32_t i = 0; i < f->field.bit_len; i++) {
        uint32_t b = f->field.bit_off + i;
        uint8_t m = (uint8_t)(1u << (b % 8));
        f->field.buf[b / 8] = (uint8_t)(((v >> i) & 1) ? f->field.buf[b / 8] | m : f->field.buf[b / 8] & ~m);
    }
    return 0;
}

/* PCI configuration space address of a PCI_Config region: the _ADR of the
 * device it is declared in, on the bus of the root bridge above it. */
static int region_pci_addr(struct aml_vm *vm, unsigned region, unsigned *bus, unsigned *dev, unsigned *fn);

static unsigned access_width(uint8_t access)
{
    switch (access & 0x0f) {
    case 2:
        return 2;
    case 3:
    case 4: /* QWordAcc: done as two dwords */
        return 4;
    }
    return 1; /* AnyAcc, ByteAcc, BufferAcc */
}

static int field_access(struct aml_vm *vm, unsigned node, bool write, uint64_t *v, unsigned depth);

/* One access-width unit of a field's region at byte offset off. */
static int unit_access(struct aml_vm *vm, const struct aml_node *f, uint32_t off, unsigned w, bool write,
                       uint32_t *v, unsigned depth)
{
    if (f->flags & AML_FIELD_INDEXED) {
        /* IndexField: the offset goes to the index field, the unit
         * through the data field (ACPI 19.6.64). */
        uint64_t idx = off, val = *v;
        if (f->fld.region >= vm->n_nodes || f->fld.data >= vm->n_nodes)
            return fail(vm, "index field without its index and data fields", -EINVAL);
        int r = field_access(vm, f->fld.region, true, &idx, depth + 1);
        if (r == 0)
            r = field_access(vm, f->fld.data, write, &val, depth + 1);
        *v = (uint32_t)val;
        return r;
    }
    if (f->fld.region >= vm->n_nodes)
        return fail(vm, "field of an unsupported kind", -ENOTSUP);
    const struct aml_node *r = &vm->nodes[f->fld.region];
    bool untouched = r->rgn.space != AML_SPACE_PCI && r->rgn.space != AML_SPACE_IO;
    if (vm->sizing && !write && (!r->rgn.ready || untouched)) {
        *v = 0;
        vm->unknown = true;
        return 0;
    }
    if (!r->rgn.ready || off > r->rgn.len || w > r->rgn.len - off)
        return fail(vm, "field outside its region", -EINVAL);
    uint64_t addr;
    if (r->rgn.space == AML_SPACE_PCI) {
        unsigned bus, dev, fn;
        int e = region_pci_addr(vm, f->fld.region, &bus, &dev, &fn);
        if (e < 0)
            return e;
        if (r->rgn.base + off + w > 4096)
            return fail(vm, "PCI_Config field past configuration space", -EINVAL);
        addr = AML_PCI_ADDR(bus, dev, fn, r->rgn.base + off);
    } else if (r->rgn.space == AML_SPACE_IO) {
        if (r->rgn.base + off + w > 0x10000)
            return fail(vm, "SystemIO field past the port space", -EINVAL);
        addr = r->rgn.base + off;
    } else {
        return fail(vm, "operation region in an address space we do not touch", -EPERM);
    }
    if (!vm->io || vm->io(vm->io_ctx, r->rgn.space, write, addr, w, v) < 0)
        return fail(vm, "operation region access refused", -EPERM);
    if (write)
        vm->io_writes++;
    else
        vm->io_reads++;
    return 0;
}

/* Reads or writes a field of an operation region, unit by unit in its
 * access width; a write that covers units only in part reads them first
 * (the Preserve rule; WriteAsOnes/Zeros are treated alike). */
static int field_access(struct aml_vm *vm, unsigned node, bool write, uint64_t *v, unsigned depth)
{
    const struct aml_node *f = &vm->nodes[node];
    if (depth > 2)
        return fail(vm, "index fields nested", -ELOOP);
    if (f->fld.bit_len == 0 || f->fld.bit_len > 64)
        return fail(vm, "field wider than an integer", -ENOTSUP);
    unsigned w = access_width(f->flags), ubits = 8 * w;
    uint32_t first = f->fld.bit_off / ubits, last = (uint32_t)(((uint64_t)f->fld.bit_off + f->fld.bit_len - 1) / ubits);
    unsigned shift = f->fld.bit_off % ubits, n = last - first + 1; /* at most 9 units */
    uint32_t unit[9] = { 0 };
    bool partial = shift || (f->fld.bit_len % ubits);
    for (unsigned i = 0; i < n && (!write || partial); i++) {
        int r = unit_access(vm, f, (first + i) * w, w, false, &unit[i], depth);
        if (r < 0)
            return r;
    }
    /* The units as one little-endian bit string. */
    if (!write) {
        uint64_t x = 0;
        for (unsigned b = 0; b < f->fld.bit_len; b++) {
            unsigned at = shift + b;
            x |= (uint64_t)((unit[at / ubits] >> (at % ubits)) & 1) << b;
        }
        *v = x;
        return 0;
    }
    for (unsigned b = 0; b < f->fld.bit_len; b++) {
        unsigned at = shift + b;
        uint32_t m = 1u << (at % ubits);
        unit[at / ubits] = ((*v >> b) & 1) ? unit[at / ubits] | m : unit[at / ubits] & ~m;
    }
    for (unsigned i = 0; i < n; i++) {
        int r = unit_access(vm, f, (first + i) * w, w, true, &unit[i], depth);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The value of a Name: evaluated from its data object on first use. */
static int name_value(struct aml_vm *vm, unsigned node, struct aml_obj **out)
{
    struct aml_node *x = &vm->nodes[node];
    if (!x->val) {
        struct aml_obj *o = arena_alloc(vm, sizeof(*o));
        if (!o)
            return -ENOMEM;
        struct aml_frame *saved = vm->frame, *f = frame_push(vm, x->parent);
        if (!f)
            return -ELOOP;
        vm->frame = f;
        const uint8_t *p = x->aml;
        int r = eval(vm, &p, x->aml + x->len, o);
        frame_pop(vm, saved);
        if (r < 0)
            return r;
        x = &vm->nodes[node];
        x->val = o;
    }
    *out = x->val;
    return 0;
}

static int invoke(struct aml_vm *vm, unsigned node, const struct aml_obj *args, unsigned nargs, struct aml_obj *out);
static int call_method(struct aml_vm *vm, unsigned node, const uint8_t **pp, const uint8_t *end, struct aml_obj *out);

/* What reading a named object yields. */
static int read_node(struct aml_vm *vm, unsigned node, struct aml_obj *out)
{
    struct aml_node *x = &vm->nodes[node];
    struct aml_obj *v;
    uint64_t i;
    int r = 0;
    switch (x->kind) {
    case AML_N_NAME:
        if ((r = name_value(vm, node, &v)) < 0)
            return r;
        *out = *v;
        return 0;
    case AML_N_BUFFIELD:
        if (!x->val || (r = field_get(vm, x->val, &i)) < 0)
            return r < 0 ? r : fail(vm, "buffer field without a buffer", -EINVAL);
        *out = int_obj(i);
        return 0;
    case AML_N_FIELD:
        if ((r = field_access(vm, node, false, &i, 0)) < 0)
            return r;
        *out = int_obj(i);
        return 0;
    case AML_N_METHOD:
        return invoke(vm, node, NULL, 0, out);
    }
    out->type = AML_T_NODE;
    out->node = (uint16_t)node;
    return 0;
}

/* Package elements live as values; a name among them stays a name. */
static int build_package(struct aml_vm *vm, const uint8_t **pp, const uint8_t *end, bool var, struct aml_obj *out)
{
    const uint8_t *body, *pend;
    if (pkg(*pp, end, &body, &pend) < 0)
        return fail(vm, "bad package length", -EINVAL);
    uint64_t count;
    if (var) {
        struct aml_obj c;
        int r = eval(vm, &body, pend, &c);
        if (r < 0 || (r = to_int(vm, &c, &count)) < 0)
            return r;
    } else {
        if (body >= pend)
            return fail(vm, "bad package", -EINVAL);
        count = *body++;
    }
    if (count > MAX_PKG_ELEMS)
        return fail(vm, "package too large", -E2BIG);
    struct aml_obj *elems = arena_alloc(vm, (count ? count : 1) * sizeof(*elems));
    if (!elems)
        return -ENOMEM;
    unsigned i = 0;
    while (body < pend) {
        if (i >= count)
            return fail(vm, "more package elements than declared", -EINVAL);
        if (name_start(*body)) {
            struct name_ref n;
            const uint8_t *s = body;
            if (parse_name(&body, pend, &n) < 0)
                return fail(vm, "bad name in package", -EINVAL);
            elems[i].type = AML_T_NAME;
            elems[i].name.aml = s;
            elems[i].name.len = (uint16_t)(body - s);
            elems[i].name.scope = vm->frame->scope;
        } else {
            int r = eval(vm, &body, pend, &elems[i]);
            if (r < 0)
                return r;
        }
        i++;
    }
    out->type = AML_T_PKG;
    out->len = (uint32_t)count;
    out->elems = elems;
    *pp = pend;
    return 0;
}

static int build_buffer(struct aml_vm *vm, const uint8_t **pp, const uint8_t *end, struct aml_obj *out)
{
    const uint8_t *body, *pend;
    if (pkg(*pp, end, &body, &pend) < 0)
        return fail(vm, "bad buffer length", -EINVAL);
    struct aml_obj c;
    uint64_t size;
    int r = eval(vm, &body, pend, &c);
    if (r < 0 || (r = to_int(vm, &c, &size)) < 0)
        return r;
    if (size > 65536)
        return fail(vm, "buffer too large", -E2BIG);
    uint8_t *b = arena_alloc(vm, size ? size : 1);
    if (!b)
        return -ENOMEM;
    size_t init = (size_t)(pend - body) < size ? (size_t)(pend - body) : size;
    memcpy(b, body, init);
    out->type = AML_T_BUF;
    out->len = (uint32_t)size;
    out->bytes = b;
    *pp = pend;
    return 0;
}

/* ---- Targets and stores ------------------------------------------------- */

static struct aml_obj *local_or_arg(struct aml_vm *vm, uint8_t op)
{
    if (op >= OP_LOCAL0 && op <= OP_LOCAL7)
        return &vm->frame->local[op - OP_LOCAL0];
    return &vm->frame->arg[op - OP_ARG0];
}

static int parse_target(struct aml_vm *vm, const uint8_t **pp, const uint8_t *end, struct target *t)
{
    const uint8_t *p = *pp;
    memset(t, 0, sizeof(*t));
    if (p >= end)
        return fail(vm, "missing target", -EINVAL);
    if (*p == OP_ZERO) {
        *pp = p + 1;
        return 0;
    }
    if ((*p >= OP_LOCAL0 && *p <= OP_ARG6)) {
        struct aml_obj *o = local_or_arg(vm, *p);
        *pp = p + 1;
        /* An argument holding a reference is stored through (19.6.128). */
        if (*p >= OP_ARG0 && (o->type == AML_T_REF_PKG || o->type == AML_T_REF_BUF)) {
            t->kind = TGT_REF;
            t->ref = *o;
        } else if (*p >= OP_ARG0 && o->type == AML_T_NODE && o->node < vm->n_nodes) {
            t->kind = TGT_NODE;
            t->node = o->node;
        } else {
            t->kind = TGT_OBJ;
            t->obj = o;
        }
        return 0;
    }
    if (*p == OP_EXT && end - p >= 2 && p[1] == EXT_DEBUG) {
        *pp = p + 2;
        return 0;
    }
    if (name_start(*p)) {
        struct name_ref n;
        if (parse_name(&p, end, &n) < 0)
            return fail(vm, "bad target name", -EINVAL);
        int c = lookup(vm, vm->frame->scope, &n);
        if (c < 0)
            return fail(vm, "store to an undefined name", -ENOENT);
        t->kind = TGT_NODE;
        t->node = (unsigned)c;
        *pp = p;
        return 0;
    }
    if (*p == OP_INDEX || *p == OP_DEREFOF || *p == OP_REFOF) {
        struct aml_obj r;
        int e = eval(vm, pp, end, &r);
        if (e < 0)
            return e;
        if (r.type == AML_T_REF_PKG || r.type == AML_T_REF_BUF) {
            t->kind = TGT_REF;
            t->ref = r;
            return 0;
        }
        if (r.type == AML_T_NODE && r.node < vm->n_nodes) {
            t->kind = TGT_NODE;
            t->node = r.node;
            return 0;
        }
        return fail(vm, "target is not a reference", -EINVAL);
    }
    return fail(vm, "unsupported target", -ENOTSUP);
}

static int store(struct aml_vm *vm, const struct target *t, const struct aml_obj *v)
{
    uint64_t i;
    int r;
    switch (t->kind) {
    case TGT_NONE:
        return 0;
    case TGT_OBJ:
        *t->obj = *v;
        return 0;
    case TGT_REF:
        if (t->ref.type == AML_T_REF_PKG) {
            t->ref.ref.pkg[t->ref.ref.index] = *v;
            return 0;
        }
        if ((r = to_int(vm, v, &i)) < 0)
            return r;
        t->ref.ref.buf[t->ref.ref.index] = (uint8_t)i;
        return 0;
    case TGT_NODE: {
        struct aml_node *x = &vm->nodes[t->node];
        if (x->kind == AML_N_BUFFIELD) {
            if (!x->val || (r = to_int(vm, v, &i)) < 0)
                return x->val ? r : fail(vm, "buffer field without a buffer", -EINVAL);
            return field_set(vm, x->val, i);
        }
        if (x->kind == AML_N_FIELD) {
            if ((r = to_int(vm, v, &i)) < 0)
                return r;
            return field_access(vm, t->node, true, &i, 0);
        }
        if (x->kind != AML_N_NAME)
            return fail(vm, "store to an object that holds no value", -EINVAL);
        struct aml_obj *cur;
        if ((r = name_value(vm, t->node, &cur)) < 0)
            return r;
        /* Implicit conversion to the integer a Name holds (19.3.5). */
        if (cur->type == AML_T_INT && v->type != AML_T_INT) {
            if ((r = to_int(vm, v, &i)) < 0)
                return r;
            *cur = int_obj(i);
            return 0;
        }
        /* A Name holding a Buffer keeps its size: the source's bytes (a
         * string's characters, an integer's little-endian bytes) are
         * copied in, truncated or zero-padded (19.3.5.8). */
        if (cur->type == AML_T_BUF && (v->type == AML_T_STR || v->type == AML_T_BUF || v->type == AML_T_INT)) {
            uint8_t tmp[8];
            const uint8_t *src = v->bytes;
            uint32_t n = v->len;
            if (v->type == AML_T_INT) {
                for (unsigned k = 0; k < 8; k++)
                    tmp[k] = (uint8_t)(v->ival >> (8 * k));
                src = tmp;
                n = vm->int_bits / 8;
            }
            n = n < cur->len ? n : cur->len;
            memmove(cur->bytes, src, n);
            memset(cur->bytes + n, 0, cur->len - n);
            return 0;
        }
        *cur = *v;
        return 0;
    }
    }
    return -EINVAL;
}

/* ---- Expressions --------------------------------------------------------- */

static int eval_int(struct aml_vm *vm, const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    struct aml_obj o;
    int r = eval(vm, pp, end, &o);
    return r < 0 ? r : to_int(vm, &o, v);
}

static int binary(struct aml_vm *vm, uint8_t op, uint64_t a, uint64_t b, uint64_t *out)
{
    switch (op) {
    case OP_ADD: *out = a + b; break;
    case OP_SUBTRACT: *out = a - b; break;
    case OP_MULTIPLY: *out = a * b; break;
    case OP_SHL: *out = b >= 64 ? 0 : a << b; break;
    case OP_SHR: *out = b >= 64 ? 0 : a >> b; break;
    case OP_AND: *out = a & b; break;
    case OP_NAND: *out = ~(a & b); break;
    case OP_OR: *out = a | b; break;
    case OP_NOR: *out = ~(a | b); break;
    case OP_XOR: *out = a ^ b; break;
    case OP_MOD:
        if (!b)
            return fail(vm, "modulo by zero", -EDOM);
        *out = a % b;
        break;
    default:
        return -EINVAL;
    }
    *out &= int_mask(vm);
    return 0;
}

static int create_field(struct aml_vm *vm, uint8_t op, const uint8_t **pp, const uint8_t *end)
{
    struct aml_obj src;
    uint64_t index, bits = 0;
    int r = eval(vm, pp, end, &src);
    if (r < 0 || (r = eval_int(vm, pp, end, &index)) < 0)
        return r;
    if (op == EXT_CREATEFIELD && (r = eval_int(vm, pp, end, &bits)) < 0)
        return r;
    if (src.type != AML_T_BUF)
        return fail(vm, "buffer field of a non-buffer", -EINVAL);
    uint64_t bit_off = op == OP_CREATEBIT || op == EXT_CREATEFIELD ? index : index * 8;
    bits = op == OP_CREATEBIT ? 1 : op == OP_CREATEBYTE ? 8 : op == OP_CREATEWORD ? 16 : op == OP_CREATEDWORD ? 32
         : op == OP_CREATEQWORD ? 64 : bits;
    if (bits == 0 || bits > 64 || bit_off > 0xffffffffull || bit_off + bits > (uint64_t)src.len * 8)
        return fail(vm, "buffer field outside its buffer", -EINVAL);
    struct name_ref n;
    if (parse_name(pp, end, &n) < 0)
        return fail(vm, "bad field name", -EINVAL);
    struct aml_obj *f = arena_alloc(vm, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->type = AML_T_FIELD;
    f->field.buf = src.bytes;
    f->field.buf_len = src.len;
    f->field.bit_off = (uint32_t)bit_off;
    f->field.bit_len = (uint32_t)bits;
    int c = add_node(vm, vm->frame->scope, &n, AML_N_BUFFIELD);
    if (c < 0)
        return c;
    vm->nodes[c].kind = AML_N_BUFFIELD;
    vm->nodes[c].val = f;
    return 0;
}

/* Index(Source, Index, Target): a reference to one element or byte. */
static int index_of(struct aml_vm *vm, const uint8_t **pp, const uint8_t *end, struct aml_obj *out)
{
    struct aml_obj src;
    uint64_t i;
    struct target t;
    int r = eval(vm, pp, end, &src);
    if (r < 0 || (r = eval_int(vm, pp, end, &i)) < 0 || (r = parse_target(vm, pp, end, &t)) < 0)
        return r;
    if (src.type == AML_T_PKG && i < src.len) {
        out->type = AML_T_REF_PKG;
        out->ref.pkg = src.elems;
        out->ref.index = (uint32_t)i;
    } else if ((src.type == AML_T_BUF || src.type == AML_T_STR) && i < src.len) {
        out->type = AML_T_REF_BUF;
        out->ref.buf = src.bytes;
        out->ref.index = (uint32_t)i;
    } else {
        return fail(vm, "index out of range", -ERANGE);
    }
    return store(vm, &t, out);
}

static int deref(struct aml_vm *vm, const struct aml_obj *r, struct aml_obj *out)
{
    if (r->type == AML_T_REF_PKG) {
        *out = r->ref.pkg[r->ref.index];
        return 0;
    }
    if (r->type == AML_T_REF_BUF) {
        *out = int_obj(r->ref.buf[r->ref.index]);
        return 0;
    }
    if (r->type == AML_T_NODE && r->node < vm->n_nodes)
        return read_node(vm, r->node, out);
    return fail(vm, "DerefOf a non-reference", -EINVAL);
}

static int eval_ext(struct aml_vm *vm, const uint8_t **pp, const uint8_t *end, struct aml_obj *out)
{
    const uint8_t *p = *pp;
    if (p >= end)
        return fail(vm, "truncated extended opcode", -EINVAL);
    uint8_t op = *p++;
    *pp = p;
    struct target t;
    struct name_ref n;
    uint64_t v;
    int r;
    switch (op) {
    case EXT_REVISION:
        *out = int_obj(0);
        return 0;
    case EXT_CONDREFOF: { /* CondRefOf(SuperName, Target) */
        int c = -1;
        if (*pp < end && name_start(**pp)) {
            if (parse_name(pp, end, &n) < 0)
                return fail(vm, "bad name", -EINVAL);
            c = lookup(vm, vm->frame->scope, &n);
        } else if ((r = parse_target(vm, pp, end, &t)) < 0) {
            return r;
        }
        if ((r = parse_target(vm, pp, end, &t)) < 0)
            return r;
        if (c >= 0) {
            struct aml_obj ref = { .type = AML_T_NODE };
            ref.node = (uint16_t)c;
            if ((r = store(vm, &t, &ref)) < 0)
                return r;
        }
        *out = int_obj(c >= 0 ? int_mask(vm) : 0);
        return 0;
    }
    case EXT_CREATEFIELD:
        *out = int_obj(0);
        return create_field(vm, op, pp, end);
    case EXT_STALL:
    case EXT_SLEEP: /* no waiting: the methods we run have no reason to */
        *out = int_obj(0);
        return eval_int(vm, pp, end, &v);
    case EXT_ACQUIRE: /* single-threaded: always acquired */
        if ((r = parse_target(vm, pp, end, &t)) < 0 || *pp + 2 > end)
            return r < 0 ? r : fail(vm, "truncated Acquire", -EINVAL);
        *pp += 2;
        *out = int_obj(0);
        return 0;
    case EXT_RELEASE:
    case EXT_SIGNAL:
        *out = int_obj(0);
        return parse_target(vm, pp, end, &t);
    case EXT_DEBUG:
        *out = int_obj(0);
        return 0;
    case EXT_REGION:
    case EXT_FIELD:
    case EXT_MUTEX:
    case EXT_EVENT: { /* a named object declared inside a method */
        const uint8_t *start = p - 2;
        *out = int_obj(0);
        r = load_term(vm, vm->frame->scope, &start, end, 0);
        *pp = start;
        return r < 0 ? fail(vm, "bad declaration in a method", r) : 0;
    }
    }
    return fail(vm, "unsupported extended opcode", -ENOTSUP);
}

static int eval(struct aml_vm *vm, const uint8_t **pp, const uint8_t *end, struct aml_obj *out)
{
    const uint8_t *p = *pp;
    struct aml_obj a, b;
    struct target t;
    uint64_t x, y;
    int r;
    if (p >= end)
        return fail(vm, "operand missing", -EINVAL);
    if ((r = step(vm)) < 0)
        return r;
    if (vm->expr_depth >= AML_MAX_EXPR_DEPTH)
        return fail(vm, "expression nesting too deep", -ELOOP);
    vm->expr_depth++;
    uint8_t op = *p++;
    *pp = p;
    memset(out, 0, sizeof(*out));
    r = 0;
    switch (op) {
    case OP_ZERO:
    case OP_ONE:
        *out = int_obj(op);
        break;
    case OP_ONES:
        *out = int_obj(int_mask(vm));
        break;
    case OP_BYTE:
    case OP_WORD:
    case OP_DWORD:
    case OP_QWORD: {
        unsigned n = op == OP_BYTE ? 1 : op == OP_WORD ? 2 : op == OP_DWORD ? 4 : 8;
        if ((size_t)(end - p) < n) {
            r = fail(vm, "truncated constant", -EINVAL);
            break;
        }
        x = 0;
        for (unsigned i = 0; i < n; i++)
            x |= (uint64_t)p[i] << (8 * i);
        *out = int_obj(x & int_mask(vm));
        *pp = p + n;
        break;
    }
    case OP_STRING: {
        const uint8_t *z = memchr(p, 0, (size_t)(end - p));
        if (!z) {
            r = fail(vm, "unterminated string", -EINVAL);
            break;
        }
        out->type = AML_T_STR;
        out->len = (uint32_t)(z - p);
        out->bytes = arena_alloc(vm, out->len + 1u);
        if (!out->bytes) {
            r = -ENOMEM;
            break;
        }
        memcpy(out->bytes, p, out->len);
        *pp = z + 1;
        break;
    }
    case OP_BUFFER:
        r = build_buffer(vm, pp, end, out);
        break;
    case OP_PACKAGE:
    case OP_VARPACKAGE:
        r = build_package(vm, pp, end, op == OP_VARPACKAGE, out);
        break;
    case OP_EXT:
        r = eval_ext(vm, pp, end, out);
        break;
    case OP_STORE:
        if ((r = eval(vm, pp, end, out)) == 0 && (r = parse_target(vm, pp, end, &t)) == 0)
            r = store(vm, &t, out);
        break;
    case OP_REFOF:
        if (*pp < end && name_start(**pp)) {
            struct name_ref n;
            int c;
            if (parse_name(pp, end, &n) < 0 || (c = lookup(vm, vm->frame->scope, &n)) < 0) {
                r = fail(vm, "RefOf an undefined name", -ENOENT);
                break;
            }
            out->type = AML_T_NODE;
            out->node = (uint16_t)c;
        } else if ((r = parse_target(vm, pp, end, &t)) == 0) {
            if (t.kind == TGT_REF)
                *out = t.ref;
            else if (t.kind == TGT_OBJ)
                *out = *t.obj; /* a reference to a local: its value will do */
            else
                r = fail(vm, "RefOf of nothing", -EINVAL);
        }
        break;
    case OP_ADD:
    case OP_SUBTRACT:
    case OP_MULTIPLY:
    case OP_SHL:
    case OP_SHR:
    case OP_AND:
    case OP_NAND:
    case OP_OR:
    case OP_NOR:
    case OP_XOR:
    case OP_MOD:
        if ((r = eval_int(vm, pp, end, &x)) == 0 && (r = eval_int(vm, pp, end, &y)) == 0 &&
            (r = binary(vm, op, x, y, &x)) == 0 && (r = parse_target(vm, pp, end, &t)) == 0) {
            *out = int_obj(x);
            r = store(vm, &t, out);
        }
        break;
    case OP_DIVIDE: /* Divide(Dividend, Divisor, Remainder, Result) */
        if ((r = eval_int(vm, pp, end, &x)) == 0 && (r = eval_int(vm, pp, end, &y)) == 0) {
            if (!y) {
                r = fail(vm, "division by zero", -EDOM);
                break;
            }
            a = int_obj(x % y);
            *out = int_obj(x / y);
            struct target t2;
            if ((r = parse_target(vm, pp, end, &t)) == 0 && (r = parse_target(vm, pp, end, &t2)) == 0 &&
                (r = store(vm, &t, &a)) == 0)
                r = store(vm, &t2, out);
        }
        break;
    case OP_NOT:
    case OP_FINDSETLEFT:
    case OP_FINDSETRIGHT:
    case OP_TOINTEGER:
        if ((r = eval_int(vm, pp, end, &x)) == 0 && (r = parse_target(vm, pp, end, &t)) == 0) {
            if (op == OP_NOT)
                x = ~x & int_mask(vm);
            else if (op == OP_FINDSETLEFT)
                x = x ? 64u - (unsigned)__builtin_clzll(x) : 0;
            else if (op == OP_FINDSETRIGHT)
                x = x ? 1u + (unsigned)__builtin_ctzll(x) : 0;
            *out = int_obj(x);
            r = store(vm, &t, out);
        }
        break;
    case OP_INCREMENT:
    case OP_DECREMENT: {
        const uint8_t *s = *pp;
        if ((r = parse_target(vm, pp, end, &t)) < 0)
            break;
        /* Read the same SuperName as an operand, then write it back. */
        if ((r = eval_int(vm, &s, end, &x)) < 0)
            break;
        *out = int_obj((op == OP_INCREMENT ? x + 1 : x - 1) & int_mask(vm));
        r = store(vm, &t, out);
        break;
    }
    case OP_LAND:
    case OP_LOR:
    case OP_LEQUAL:
    case OP_LGREATER:
    case OP_LLESS:
        if ((r = eval(vm, pp, end, &a)) < 0 || (r = eval(vm, pp, end, &b)) < 0)
            break;
        if (op == OP_LEQUAL && a.type == AML_T_STR && b.type == AML_T_STR) {
            *out = int_obj(a.len == b.len && memcmp(a.bytes, b.bytes, a.len) == 0 ? int_mask(vm) : 0);
            break;
        }
        if ((r = to_int(vm, &a, &x)) < 0 || (r = to_int(vm, &b, &y)) < 0)
            break;
        {
            bool v = op == OP_LAND ? x && y : op == OP_LOR ? x || y : op == OP_LEQUAL ? x == y
                   : op == OP_LGREATER ? x > y : x < y;
            *out = int_obj(v ? int_mask(vm) : 0);
        }
        break;
    case OP_LNOT:
        if ((r = eval_int(vm, pp, end, &x)) == 0)
            *out = int_obj(x ? 0 : int_mask(vm));
        break;
    case OP_SIZEOF:
        if ((r = eval(vm, pp, end, &a)) < 0)
            break;
        if (a.type == AML_T_REF_PKG || a.type == AML_T_NODE)
            if ((r = deref(vm, &a, &a)) < 0)
                break;
        if (a.type != AML_T_STR && a.type != AML_T_BUF && a.type != AML_T_PKG)
            r = fail(vm, "SizeOf a non-container", -EINVAL);
        else
            *out = int_obj(a.len);
        break;
    case OP_INDEX:
        r = index_of(vm, pp, end, out);
        break;
    case OP_DEREFOF:
        if ((r = eval(vm, pp, end, &a)) == 0)
            r = deref(vm, &a, out);
        break;
    case OP_NOTIFY: /* nobody listens during routing */
        if ((r = parse_target(vm, pp, end, &t)) == 0)
            r = eval_int(vm, pp, end, &x);
        *out = int_obj(0);
        break;
    case OP_CREATEDWORD:
    case OP_CREATEWORD:
    case OP_CREATEBYTE:
    case OP_CREATEBIT:
    case OP_CREATEQWORD:
        *out = int_obj(0);
        r = create_field(vm, op, pp, end);
        break;
    case OP_TOBUFFER:
        if ((r = eval(vm, pp, end, &a)) < 0)
            break;
        if (a.type == AML_T_INT) {
            unsigned n = vm->int_bits / 8;
            uint8_t *bb = arena_alloc(vm, n);
            if (!bb) {
                r = -ENOMEM;
                break;
            }
            for (unsigned i = 0; i < n; i++)
                bb[i] = (uint8_t)(a.ival >> (8 * i));
            a.type = AML_T_BUF;
            a.len = n;
            a.bytes = bb;
        } else if (a.type != AML_T_BUF) {
            r = fail(vm, "ToBuffer of an unsupported type", -ENOTSUP);
            break;
        }
        *out = a;
        if ((r = parse_target(vm, pp, end, &t)) == 0)
            r = store(vm, &t, out);
        break;
    default:
        if (op >= OP_LOCAL0 && op <= OP_ARG6) {
            *out = *local_or_arg(vm, op);
            /* A local holding an Index() reference is read through. */
            if (op >= OP_ARG0 && (out->type == AML_T_REF_PKG || out->type == AML_T_REF_BUF))
                r = deref(vm, out, out);
            break;
        }
        if (name_start(op)) {
            struct name_ref n;
            const uint8_t *s = p - 1;
            int c;
            if (parse_name(&s, end, &n) < 0) {
                r = fail(vm, "bad name", -EINVAL);
                break;
            }
            *pp = s;
            if ((c = lookup(vm, vm->frame->scope, &n)) < 0) {
                r = fail(vm, "reference to an undefined name", -ENOENT);
                break;
            }
            if (vm->nodes[c].kind == AML_N_METHOD) {
                r = call_method(vm, (unsigned)c, pp, end, out);
            } else {
                r = read_node(vm, (unsigned)c, out);
            }
            break;
        }
        r = fail(vm, "unsupported opcode", -ENOTSUP);
    }
    vm->expr_depth--;
    return r;
}

/* ---- Statements -------------------------------------------------------- */

static int exec_stmt(struct aml_vm *vm, const uint8_t **pp, const uint8_t *end);

/* Blocks nest like operands: the same depth bound keeps the C stack small. */
static int exec_one(struct aml_vm *vm, const uint8_t **pp, const uint8_t *end)
{
    if (vm->expr_depth >= AML_MAX_EXPR_DEPTH)
        return fail(vm, "blocks nested too deep", -ELOOP);
    vm->expr_depth++;
    int r = exec_stmt(vm, pp, end);
    vm->expr_depth--;
    return r;
}

static int exec_stmt(struct aml_vm *vm, const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp, *body, *pend;
    uint64_t v;
    int r;
    if ((r = step(vm)) < 0)
        return r;
    switch (*p) {
    case OP_IF: {
        if (pkg(p + 1, end, &body, &pend) < 0 || (r = eval_int(vm, &body, pend, &v)) < 0)
            return r < 0 ? r : fail(vm, "bad If", -EINVAL);
        const uint8_t *ebody = NULL, *eend = pend;
        if (pend < end && *pend == OP_ELSE) {
            if (pkg(pend + 1, end, &ebody, &eend) < 0)
                return fail(vm, "bad Else", -EINVAL);
        }
        *pp = eend;
        if (v)
            return exec_list(vm, body, pend);
        return ebody ? exec_list(vm, ebody, eend) : FLOW_NEXT;
    }
    case OP_ELSE: /* an Else without its If: skip */
        if (pkg(p + 1, end, &body, &pend) < 0)
            return fail(vm, "bad Else", -EINVAL);
        *pp = pend;
        return FLOW_NEXT;
    case OP_WHILE:
        if (pkg(p + 1, end, &body, &pend) < 0)
            return fail(vm, "bad While", -EINVAL);
        *pp = pend;
        for (;;) {
            const uint8_t *q = body;
            if ((r = eval_int(vm, &q, pend, &v)) < 0)
                return r;
            if (!v)
                return FLOW_NEXT;
            r = exec_list(vm, q, pend); /* the budget in step() ends a loop that never would */
            if (r < 0 || r == FLOW_RETURN)
                return r;
            if (r == FLOW_BREAK)
                return FLOW_NEXT;
        }
    case OP_RETURN:
        *pp = p + 1;
        if ((r = eval(vm, pp, end, &vm->frame->ret)) < 0)
            return r;
        return FLOW_RETURN;
    case OP_BREAK:
        *pp = p + 1;
        return FLOW_BREAK;
    case OP_CONTINUE:
        *pp = p + 1;
        return FLOW_CONTINUE;
    case OP_NOOP:
    case OP_BREAKPOINT:
        *pp = p + 1;
        return FLOW_NEXT;
    case OP_NAME: {
        struct name_ref n;
        struct aml_obj *o;
        const uint8_t *q = p + 1;
        if (parse_name(&q, end, &n) < 0)
            return fail(vm, "bad Name", -EINVAL);
        int c = add_node(vm, vm->frame->scope, &n, AML_N_NAME);
        if (c < 0)
            return c;
        if (!(o = arena_alloc(vm, sizeof(*o))) || (r = eval(vm, &q, end, o)) < 0)
            return o ? r : -ENOMEM;
        vm->nodes[c].val = o;
        *pp = q;
        return FLOW_NEXT;
    }
    case OP_METHOD:
    case OP_SCOPE:
        return fail(vm, "declaration not supported in a method", -ENOTSUP);
    }
    struct aml_obj discard;
    return (r = eval(vm, pp, end, &discard)) < 0 ? r : FLOW_NEXT;
}

static int exec_list(struct aml_vm *vm, const uint8_t *p, const uint8_t *end)
{
    while (p < end) {
        int r = exec_one(vm, &p, end);
        if (r != FLOW_NEXT)
            return r;
    }
    return FLOW_NEXT;
}

/* Runs method node in frame f (pushed by the caller, arguments filled). */
static int run_method(struct aml_vm *vm, unsigned node, struct aml_frame *f, struct aml_obj *out)
{
    struct aml_frame *saved = vm->frame;
    if (vm->call_depth >= AML_MAX_CALL_DEPTH) {
        frame_pop(vm, saved);
        return fail(vm, "method calls nested too deep", -ELOOP);
    }
    unsigned mark = vm->n_nodes;
    vm->frame = f;
    vm->call_depth++;
    const struct aml_node *m = &vm->nodes[node];
    int r = exec_list(vm, m->aml, m->aml + m->len);
    vm->call_depth--;
    /* The method's own names go; what it returned lives in the arena,
     * which only aml_vm_init empties. */
    vm->n_nodes = mark;
    if (r >= 0)
        *out = r == FLOW_RETURN ? f->ret : int_obj(0);
    frame_pop(vm, saved);
    return r < 0 ? r : 0;
}

static int invoke(struct aml_vm *vm, unsigned node, const struct aml_obj *args, unsigned nargs, struct aml_obj *out)
{
    struct aml_frame *f = frame_push(vm, node);
    if (!f)
        return -ELOOP;
    for (unsigned i = 0; i < nargs && i < 7; i++)
        f->arg[i] = args[i];
    return run_method(vm, node, f, out);
}

/* A method invocation in an expression: its arguments are evaluated in the
 * caller's frame straight into the callee's. */
static int call_method(struct aml_vm *vm, unsigned node, const uint8_t **pp, const uint8_t *end, struct aml_obj *out)
{
    struct aml_frame *f = frame_push(vm, node);
    if (!f)
        return -ELOOP;
    unsigned argc = vm->nodes[node].flags & 7;
    for (unsigned i = 0; i < argc; i++) {
        int r = eval(vm, pp, end, &f->arg[i]);
        if (r < 0) {
            frame_pop(vm, vm->frame);
            return r;
        }
    }
    return run_method(vm, node, f, out);
}

int aml_vm_eval(struct aml_vm *vm, unsigned node, const struct aml_obj *args, unsigned nargs, struct aml_obj *out)
{
    if (node >= vm->n_nodes)
        return -EINVAL;
    vm->steps = 0;
    vm->expr_depth = vm->call_depth = 0;
    vm->error = NULL;
    vm->n_frames = 0;
    vm->frame = frame_push(vm, vm->nodes[node].parent);
    int r = vm->nodes[node].kind == AML_N_METHOD ? invoke(vm, node, args, nargs, out) : read_node(vm, node, out);
    vm->frame = NULL;
    return r;
}

/* ---- PCI configuration regions ----------------------------------------- */

static int node_int(struct aml_vm *vm, unsigned scope, const char *seg, uint64_t *v)
{
    int c = aml_vm_child(vm, scope, seg);
    struct aml_obj o;
    struct aml_frame *saved = vm->frame;
    if (c < 0)
        return -ENOENT;
    int r = read_node(vm, (unsigned)c, &o);
    vm->frame = saved;
    return r < 0 ? r : to_int(vm, &o, v);
}

static int region_pci_addr(struct aml_vm *vm, unsigned region, unsigned *bus, unsigned *dev, unsigned *fn)
{
    unsigned d = vm->nodes[region].parent;
    uint64_t adr, bbn = 0;
    while (d && vm->nodes[d].kind != AML_N_DEVICE)
        d = vm->nodes[d].parent;
    if (!d || node_int(vm, d, "_ADR", &adr) < 0)
        return fail(vm, "PCI_Config region outside a device with _ADR", -EINVAL);
    unsigned host = vm->nodes[d].parent;
    /* Only functions on a root bridge's own bus: below a bridge the bus
     * number is what the bridge was programmed with, not ours to guess. */
    if (aml_vm_child(vm, host, "_PRT") < 0 && aml_vm_child(vm, host, "_BBN") < 0 &&
        aml_vm_child(vm, host, "_HID") < 0)
        return fail(vm, "PCI_Config region behind a bridge", -ENOTSUP);
    node_int(vm, host, "_BBN", &bbn);
    if ((adr >> 16) > 31 || (adr & 0xffff) > 7 || bbn > 255)
        return fail(vm, "PCI_Config region with a bad address", -EINVAL);
    *bus = (unsigned)bbn;
    *dev = (unsigned)(adr >> 16);
    *fn = (unsigned)(adr & 0xffff);
    return 0;
}
