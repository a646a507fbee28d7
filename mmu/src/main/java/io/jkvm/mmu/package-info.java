/** Guest physical memory (slots over caller-owned segments), dirty-page logging, x86 page walks and the software TLB. */
package io.jkvm.mmu;
