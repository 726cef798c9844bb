package io.lumadb.bench.ycsb;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.Vector;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DBException;
import site.ycsb.Status;

/**
 * YCSB binding for Redis with Jedis: one connection per YCSB client thread, in database {@code
 * redis.database}. A record is a hash ({@code HSET key field value ...}, values stored as the raw
 * bytes); every key is also a member of the sorted set {@value #INDEX_KEY}, so that scans work.
 *
 * <p>The index is lexicographic, not hashed: all members have score 0 and scan is {@code
 * ZRANGEBYLEX _indices [startkey + LIMIT 0 count}, which orders members by their bytes (memcmp), so
 * scan returns the first {@code count} keys {@code >= startkey} in byte order, exactly like the
 * LumaDB and PostgreSQL bindings. (YCSB's own Redis binding scores members by a hash of the key, which
 * returns keys in hash order and so is not comparable.) The hashes of the scanned keys are then
 * fetched in one pipeline.
 *
 * <p>insert and delete change the hash and the index in one {@code MULTI}/{@code EXEC} (one round
 * trip: Jedis queues the commands and sends them together). update only changes an existing record,
 * like the other bindings (NOT_FOUND otherwise): a small Lua script checks {@code EXISTS} and runs
 * {@code HSET} atomically, in one round trip. read answers NOT_FOUND for a missing hash.
 *
 * <p>Properties: {@code redis.host} (127.0.0.1), {@code redis.port} (6379), {@code redis.database}
 * (0), {@code redis.password} (none), {@code redis.timeout.ms} (connect and read timeout, 10000). Not
 * thread-safe: YCSB makes one instance per thread.
 */
public final class RedisYcsbClient extends Binding {

    public static final String HOST_PROPERTY = "redis.host";
    public static final String PORT_PROPERTY = "redis.port";
    public static final String DATABASE_PROPERTY = "redis.database";
    public static final String PASSWORD_PROPERTY = "redis.password";
    public static final String TIMEOUT_PROPERTY = "redis.timeout.ms";
    /** The sorted set of all record keys (the name YCSB's own Redis binding uses). */
    public static final String INDEX_KEY = "_indices";

    private static final byte[] INDEX = INDEX_KEY.getBytes(StandardCharsets.UTF_8);
    private static final byte[] MAX = "+".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UPDATE_SCRIPT = ("if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
                    + "redis.call('HSET', KEYS[1], unpack(ARGV)) return 1")
            .getBytes(StandardCharsets.US_ASCII);
    private Jedis jedis;
    private byte[] updateSha;

    @Override
    public void init() throws DBException {
        try {
            jedis = open(getProperties());
            updateSha = jedis.scriptLoad(UPDATE_SCRIPT);
        } catch (JedisException e) {
            throw new DBException("cannot connect to Redis: " + e.getMessage(), e);
        }
    }

    @Override
    public void cleanup() {
        if (jedis != null) {
            jedis.close();
        }
    }

    @Override
    public Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
        try {
            List<String> names = fields == null ? null : new ArrayList<>(fields);
            byte[] k = utf8(key);
            Object reply = names == null || names.isEmpty() ? jedis.hgetAll(k) : jedis.hmget(k, fieldBytes(names));
            return toRecord(reply, names, result) ? Status.OK : Status.NOT_FOUND;
        } catch (JedisException e) {
            return error("read " + key, e);
        }
    }

    @Override
    public Status scan(
            String table,
            String startkey,
            int recordcount,
            Set<String> fields,
            Vector<HashMap<String, ByteIterator>> result) {
        if (recordcount <= 0) {
            return Status.OK;
        }
        try {
            List<byte[]> keys = jedis.zrangeByLex(INDEX, utf8("[" + startkey), MAX, 0, recordcount);
            if (keys.isEmpty()) {
                return Status.OK;
            }
            List<String> names = fields == null ? null : new ArrayList<>(fields);
            byte[][] fieldBytes = fieldBytes(names);
            Pipeline pipeline = jedis.pipelined();
            List<Response<?>> responses = new ArrayList<>(keys.size());
            for (byte[] key : keys) {
                responses.add(
                        names == null || names.isEmpty() ? pipeline.hgetAll(key) : pipeline.hmget(key, fieldBytes));
            }
            pipeline.sync();
            for (Response<?> response : responses) {
                HashMap<String, ByteIterator> record = new HashMap<>();
                // A key deleted between ZRANGEBYLEX and HGETALL comes back empty and is skipped.
                if (toRecord(response.get(), names, record)) {
                    result.add(record);
                }
            }
            return Status.OK;
        } catch (JedisException e) {
            return error("scan from " + startkey, e);
        }
    }

    @Override
    public Status update(String table, String key, Map<String, ByteIterator> values) {
        List<byte[]> args = new ArrayList<>(values.size() * 2);
        for (Map.Entry<String, ByteIterator> e : values.entrySet()) {
            args.add(utf8(e.getKey()));
            args.add(e.getValue().toArray());
        }
        List<byte[]> keys = List.of(utf8(key));
        try {
            Object updated;
            try {
                updated = jedis.evalsha(updateSha, keys, args);
            } catch (JedisDataException e) {
                if (e.getMessage() == null || !e.getMessage().startsWith("NOSCRIPT")) {
                    throw e;
                }
                // Someone ran SCRIPT FLUSH: load it again.
                updateSha = jedis.scriptLoad(UPDATE_SCRIPT);
                updated = jedis.evalsha(updateSha, keys, args);
            }
            return Long.valueOf(1).equals(updated) ? Status.OK : Status.NOT_FOUND;
        } catch (JedisException e) {
            return error("update " + key, e);
        }
    }

    @Override
    public Status insert(String table, String key, Map<String, ByteIterator> values) {
        Map<byte[], byte[]> hash = new HashMap<>();
        for (Map.Entry<String, ByteIterator> e : values.entrySet()) {
            hash.put(utf8(e.getKey()), e.getValue().toArray());
        }
        byte[] k = utf8(key);
        try (Transaction tx = jedis.multi()) {
            if (!hash.isEmpty()) {
                tx.hset(k, hash);
            }
            tx.zadd(INDEX, 0, k);
            List<Object> replies = tx.exec();
            return replies == null ? error("insert " + key, new JedisException("EXEC aborted")) : Status.OK;
        } catch (JedisException e) {
            return error("insert " + key, e);
        }
    }

    @Override
    public Status delete(String table, String key) {
        byte[] k = utf8(key);
        try (Transaction tx = jedis.multi()) {
            Response<Long> deleted = tx.del(k);
            tx.zrem(INDEX, k);
            tx.exec();
            return deleted.get() == 1 ? Status.OK : Status.NOT_FOUND;
        } catch (JedisException e) {
            return error("delete " + key, e);
        }
    }

    /** Empties database {@code redis.database} ({@code FLUSHDB}): records and index. */
    public static void reset(Properties p) {
        try (Jedis j = open(p)) {
            j.flushDB();
        }
    }

    // ---- plumbing

    private static Jedis open(Properties p) {
        int timeout = Integer.parseInt(p.getProperty(TIMEOUT_PROPERTY, "10000"));
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .database(Integer.parseInt(p.getProperty(DATABASE_PROPERTY, "0")))
                .connectionTimeoutMillis(timeout)
                .socketTimeoutMillis(timeout)
                .clientName("lumadb-ycsb");
        String password = p.getProperty(PASSWORD_PROPERTY);
        if (password != null && !password.isEmpty()) {
            config.password(password);
        }
        Jedis j = new Jedis(
                p.getProperty(HOST_PROPERTY, "127.0.0.1"),
                Integer.parseInt(p.getProperty(PORT_PROPERTY, "6379")),
                config.build());
        j.connect(); // fail here, not in the first measured operation
        return j;
    }

    /**
     * Converts an {@code HGETALL} map or an {@code HMGET} list (values of {@code names}) into YCSB
     * fields (for a map: all of them if {@code names} is null, none if it is empty); false if the hash
     * does not exist (an empty map, or none of the asked fields).
     */
    @SuppressWarnings("unchecked")
    private static boolean toRecord(Object reply, List<String> names, Map<String, ByteIterator> into) {
        boolean found = false;
        if (reply instanceof Map<?, ?> map) {
            found = !map.isEmpty();
            if (names == null) {
                for (Map.Entry<byte[], byte[]> e : ((Map<byte[], byte[]>) map).entrySet()) {
                    into.put(new String(e.getKey(), StandardCharsets.UTF_8), new ByteArrayByteIterator(e.getValue()));
                }
            }
        } else {
            List<byte[]> values = (List<byte[]>) reply;
            for (int i = 0; i < names.size(); i++) {
                byte[] v = values.get(i);
                if (v != null) {
                    into.put(names.get(i), new ByteArrayByteIterator(v));
                    found = true;
                }
            }
        }
        return found;
    }

    private static byte[][] fieldBytes(List<String> names) {
        return names == null ? null : names.stream().map(RedisYcsbClient::utf8).toArray(byte[][]::new);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Status error(String what, Exception e) {
        // A broken connection is reopened by Jedis on the next command; nothing to do here.
        return error(what + " failed: " + e);
    }
}
