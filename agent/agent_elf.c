/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The size of an exported object, read from the ELF dynamic symbol table of
 * the loaded object that holds it.  glibc answers through dladdr1; other C
 * libraries (musl, on OpenWrt) have none, so the table is found the way the
 * loader finds it: the object's PT_DYNAMIC, DT_SYMTAB, and the symbol count
 * from DT_HASH or DT_GNU_HASH.
 */
#include "agent_elf.h"

#include <dlfcn.h>
#include <link.h>
#include <stdint.h>

struct sym_query {
        uintptr_t addr;
        size_t size;
};

/* A pointer entry of the dynamic section as an address: glibc relocates these
 * in place on most architectures, musl never does. */
static const void *dyn_addr(const struct dl_phdr_info *o, ElfW(Addr) p)
{
        return (const void *)(p < o->dlpi_addr ? o->dlpi_addr + p : p);
}

/* The number of dynamic symbols when only DT_GNU_HASH tells it: one past the
 * end of the chain that starts in the highest bucket. */
static size_t gnu_hash_count(const uint32_t *h)
{
        uint32_t nbuckets = h[0], symoffset = h[1], nbloom = h[2], last = 0;
        const uint32_t *buckets = h + 4 + nbloom * (sizeof(ElfW(Addr)) / 4);
        const uint32_t *chain = buckets + nbuckets;

        for (uint32_t i = 0; i < nbuckets; i++)
                if (buckets[i] > last)
                        last = buckets[i];
        if (last < symoffset)
                return symoffset;
        while (!(chain[last - symoffset] & 1))
                last++;
        return (size_t)last + 1;
}

static int find_symbol(struct dl_phdr_info *o, size_t len, void *arg)
{
        struct sym_query *q = arg;
        const ElfW(Dyn) *dyn = NULL;
        const ElfW(Sym) *syms = NULL;
        const uint32_t *hash = NULL, *gnu = NULL;
        size_t n = 0;
        int inside = 0;

        for (int i = 0; i < o->dlpi_phnum; i++) {
                const ElfW(Phdr) *ph = &o->dlpi_phdr[i];
                uintptr_t start = o->dlpi_addr + ph->p_vaddr;

                if (ph->p_type == PT_LOAD && q->addr - start < ph->p_memsz)
                        inside = 1;
                else if (ph->p_type == PT_DYNAMIC)
                        dyn = (const void *)start;
        }
        if (!inside)
                return 0;
        for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
                if (dyn->d_tag == DT_SYMTAB)
                        syms = dyn_addr(o, dyn->d_un.d_ptr);
                else if (dyn->d_tag == DT_HASH)
                        hash = dyn_addr(o, dyn->d_un.d_ptr);
                else if (dyn->d_tag == DT_GNU_HASH)
                        gnu = dyn_addr(o, dyn->d_un.d_ptr);
        }
        if (hash)
                n = hash[1];
        else if (gnu)
                n = gnu_hash_count(gnu);
        for (size_t i = 0; syms && i < n; i++) {
                if (syms[i].st_shndx != SHN_UNDEF && o->dlpi_addr + syms[i].st_value == q->addr) {
                        q->size = (size_t)syms[i].st_size;
                        break;
                }
        }
        return 1;
}

size_t agent_elf_symbol_size_walk(const void *sym)
{
        struct sym_query q = {(uintptr_t)sym, 0};

        dl_iterate_phdr(find_symbol, &q);
        return q.size;
}

size_t agent_elf_symbol_size(const void *sym)
{
#ifdef __GLIBC__
        Dl_info info;
        const ElfW(Sym) *es = NULL;

        if (!dladdr1(sym, &info, (void **)&es, RTLD_DL_SYMENT) || !es)
                return 0;
        return (size_t)es->st_size;
#else
        return agent_elf_symbol_size_walk(sym);
#endif
}
