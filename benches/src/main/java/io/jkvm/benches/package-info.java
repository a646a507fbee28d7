/** JMH benchmarks of translation, memory access, exits and guest execution on both backends. */
package io.jkvm.benches;
