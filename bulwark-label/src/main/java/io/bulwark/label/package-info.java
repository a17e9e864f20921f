/**
 * Security policies, STANAG 4774 confidentiality labels, their codecs, and access decisions.
 *
 * <p>Pure: no I/O beyond reading the bytes given to it, no cryptography, no dependencies.
 */
package io.bulwark.label;
