/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_elf: what the ELF symbol table says about a loaded symbol, so the
 * plugin loader can refuse a descriptor shorter than the one it expects
 * before reading a field past its end.
 */
#ifndef AGENT_ELF_H
#define AGENT_ELF_H

#include <stddef.h>

/* The st_size of the dynamic symbol whose address is sym, in whichever
 * loaded object holds it; 0 when no object or no symbol matches (the
 * caller then refuses the plugin).  Through dladdr1 on glibc, else
 * agent_elf_symbol_size_walk. */
size_t agent_elf_symbol_size(const void *sym);

/* The same answer without dladdr1: walks the loaded objects
 * (dl_iterate_phdr) and their dynamic symbol tables.  Used on C libraries
 * other than glibc; public so that it is tested on glibc too. */
size_t agent_elf_symbol_size_walk(const void *sym);

#endif
