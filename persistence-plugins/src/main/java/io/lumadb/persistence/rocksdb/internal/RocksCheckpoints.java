package io.lumadb.persistence.rocksdb.internal;

import io.lumadb.persistence.journal.JournalContents;
import io.lumadb.persistence.journal.internal.JournalCut;
import io.lumadb.persistence.rocksdb.RocksStoreException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * Online backups of the node's RocksDB: a RocksDB {@link Checkpoint} (every column family, as of
 * one instant; table files are hard-linked when the target is on the same file system, the WAL is
 * copied), and the journal position the checkpoint holds, read from the checkpoint itself opened
 * read-only, so the position and the files agree exactly.
 *
 * <p>The checkpoint is consistent: RocksDB flushes or copies the WAL so that every write committed
 * before it began is in it. The journal's writes are synced before they are acknowledged, so every
 * acknowledged event is in the checkpoint; a shard's state store may lag its journal there (state
 * writes are not synced), which recovery repairs by replaying the journal, as after a crash.
 */
public final class RocksCheckpoints {

    private RocksCheckpoints() {}

    /**
     * Writes a checkpoint of {@code node}'s database into {@code target} (which must not exist;
     * its parent must) and reads its journal position.
     *
     * @param newestTimestamp reads an event's timestamp from {key, value}
     */
    public static JournalContents checkpoint(RocksDbNode node, Path target, Function<byte[][], Long> newestTimestamp) {
        if (Files.exists(target)) {
            throw new IllegalArgumentException("the checkpoint target " + target + " exists already");
        }
        try (Checkpoint checkpoint = Checkpoint.create(node.db())) {
            // RocksJava flushes the memtables first (log_size_for_flush 0): the table files hold everything.
            checkpoint.createCheckpoint(target.toString());
        } catch (RocksDBException e) {
            throw new RocksStoreException("cannot write a checkpoint of " + node.dir() + " into " + target, e);
        }
        return readJournal(target, newestTimestamp);
    }

    /** Opens the database in {@code dir} read-only and reads its journal (no timestamps but the newest event's). */
    public static JournalContents readJournal(Path dir, Function<byte[][], Long> newestTimestamp) {
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions options = new DBOptions();
                ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
                org.rocksdb.Options listOptions = new org.rocksdb.Options()) {
            List<byte[]> names = RocksDB.listColumnFamilies(listOptions, dir.toString());
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            for (byte[] name : names) {
                descriptors.add(new ColumnFamilyDescriptor(name, cfOptions));
            }
            try (RocksDB db = RocksDB.openReadOnly(options, dir.toString(), descriptors, handles)) {
                Map<String, ColumnFamilyHandle> byName = new HashMap<>();
                for (int i = 0; i < descriptors.size(); i++) {
                    byName.put(new String(descriptors.get(i).getName(), StandardCharsets.UTF_8), handles.get(i));
                }
                for (String name : JournalCut.FAMILY_NAMES) {
                    if (!byName.containsKey(name)) {
                        // A database whose journal was never used: nothing to read.
                        return new JournalContents(0, 0, Map.of());
                    }
                }
                JournalCut.Families cf = new JournalCut.Families(
                        byName.get(JournalCut.FAMILY_NAMES.get(0)),
                        byName.get(JournalCut.FAMILY_NAMES.get(1)),
                        byName.get(JournalCut.FAMILY_NAMES.get(2)),
                        byName.get(JournalCut.FAMILY_NAMES.get(3)));
                try {
                    return JournalCut.scan(db, cf, null, newestTimestamp);
                } finally {
                    handles.forEach(ColumnFamilyHandle::close);
                }
            }
        } catch (RocksDBException e) {
            handles.forEach(ColumnFamilyHandle::close);
            throw new RocksStoreException("cannot read the journal of the checkpoint in " + dir, e);
        }
    }

    /** The column families of the journal and snapshots of {@code node}, created if missing. */
    public static JournalCut.Families families(RocksDbNode node) {
        return new JournalCut.Families(
                node.columnFamily(JournalCut.FAMILY_NAMES.get(0)),
                node.columnFamily(JournalCut.FAMILY_NAMES.get(1)),
                node.columnFamily(JournalCut.FAMILY_NAMES.get(2)),
                node.columnFamily(JournalCut.FAMILY_NAMES.get(3)));
    }
}
