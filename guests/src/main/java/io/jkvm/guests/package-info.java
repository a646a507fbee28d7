/**
 * The guest images built by this module ({@code make}, see {@code guests/README.md}) and their index.
 * {@link io.jkvm.guests.GuestCatalog} reads {@code io/jkvm/guests/guests.index} from the class path and opens
 * the images next to it.
 */
package io.jkvm.guests;
