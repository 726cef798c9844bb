/**
 * The fixtures LumaDB's tests share across modules: starting and stopping node processes
 * ({@link io.lumadb.testkit.NodeProcess}), test clients for HTTP, SSE and WebSocket ({@link
 * io.lumadb.testkit.TestHttp}, {@link io.lumadb.testkit.RawHttp}, {@link
 * io.lumadb.testkit.SseClient}, {@link io.lumadb.testkit.WsClient}), the local PostgreSQL
 * and Redis ({@link io.lumadb.testkit.TestPostgres}, {@link io.lumadb.testkit.TestRedis}), a
 * private PostgreSQL that accepts TLS only ({@link io.lumadb.testkit.TlsPostgres}), ports,
 * temporary directories, a small disk to fill ({@link io.lumadb.testkit.SmallDisk}), and seeded
 * property tests ({@link io.lumadb.testkit.Property}).
 *
 * <p>Nothing here depends on a LumaDB module: every module's tests use this one, node's
 * included, so a dependency on node would be a cycle. That is why a node <em>in process</em> is
 * started by a class in node's own tests ({@code io.lumadb.node.InProcessServer}), which needs
 * node's classes; what it returns is spoken to with these clients. Likewise fixtures built on a
 * module's own classes (shards' {@code TestRocks}, persistence-plugins' {@code TestConfig}) stay
 * in that module's tests.
 */
package io.lumadb.testkit;
