/** The x86 decoder, the ASM block translator, the Caffeine block cache and the CPU semantics they share. */
package io.jkvm.translator;
