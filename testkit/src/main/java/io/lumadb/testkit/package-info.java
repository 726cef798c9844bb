/**
 * The fixtures LumaDB's tests share across modules: starting and stopping node processes, test
 * clients for HTTP, SSE and WebSocket, PostgreSQL and Redis helpers, temporary directories and
 * seeded property tests. Nothing here depends on a LumaDB module.
 */
package io.lumadb.testkit;
