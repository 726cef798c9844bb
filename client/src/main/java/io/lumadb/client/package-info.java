/**
 * The LumaDB Java client for event-sourced applications: {@link io.lumadb.client.LumaDbClient}
 * turns a collection's change stream into a resuming Pekko Streams source and a Pekko Projections
 * source provider. This package uses Pekko, Jackson and the JDK only, never server code.
 */
package io.lumadb.client;
