package io.lumadb.tiering.fragment;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A fragment store in one local directory, one file per fragment ({@link FragmentId#fileName()}).
 *
 * <p>A put writes a temporary file ({@code <fragment file>.<random>}{@value #TEMP_SUFFIX}), forces
 * it to disk, renames it over the fragment's file atomically and forces the directory, so that after
 * a crash the fragment is either the old one or the new one, whole. Temporary files a crash left
 * behind are never listed and are deleted when the store is opened. Thread-safe: concurrent puts of
 * one fragment each rename a whole file, the last one wins.
 */
public final class LocalFragmentStore implements FragmentStore {

    /** Suffix of the temporary files of unfinished puts. */
    public static final String TEMP_SUFFIX = ".tmp";

    private final String name;
    private final Path dir;

    /** A store named after its directory's absolute path. */
    public LocalFragmentStore(Path dir) {
        this(dir.toAbsolutePath().normalize().toString(), dir);
    }

    /**
     * Opens (creating it if needed) the store in {@code dir}, and deletes the temporary files of
     * puts that a crash interrupted.
     *
     * @param name the store's name, as placements record it
     * @throws FragmentStoreException when the directory cannot be created or cleaned
     */
    public LocalFragmentStore(String name, Path dir) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("name must be non-empty, got " + (name == null ? "null" : "''"));
        }
        if (dir == null) {
            throw new IllegalArgumentException("dir must not be null");
        }
        this.name = name;
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            boolean removed = false;
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir, "*" + TEMP_SUFFIX)) {
                for (Path leftover : leftovers) {
                    removed |= Files.deleteIfExists(leftover);
                }
            }
            if (removed) {
                forceDirectory();
            }
        } catch (IOException | RuntimeException e) {
            throw new FragmentStoreException(name, null, "cannot open directory " + dir + ": " + e, e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** The store's directory. */
    public Path directory() {
        return dir;
    }

    /** The file that holds (or would hold) a fragment. */
    public Path pathOf(FragmentId id) {
        return dir.resolve(id.fileName());
    }

    @Override
    public void put(FragmentId id, byte[] bytes) {
        if (bytes == null) {
            throw new IllegalArgumentException("bytes of fragment " + id + " must not be null");
        }
        Path target = pathOf(id);
        Path temp = dir.resolve(id.fileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + TEMP_SUFFIX);
        try {
            try (FileChannel channel =
                    FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory();
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new FragmentStoreException(name, id, "cannot write " + target + ": " + e, e);
        }
    }

    @Override
    public byte[] get(FragmentId id) {
        Path path = pathOf(id);
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            throw new FragmentStoreException(name, id, "cannot read " + path + ": " + e, e);
        }
    }

    @Override
    public byte[] read(FragmentId id, long offset, int length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must be >= 0, got offset " + offset + " and length "
                    + length + " for fragment " + id);
        }
        Path path = pathOf(id);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (offset + length > size) {
                throw tooShort(id, size, offset, length);
            }
            ByteBuffer buffer = ByteBuffer.allocate(length);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, offset + buffer.position()) < 0) {
                    throw tooShort(id, offset + buffer.position(), offset, length);
                }
            }
            return buffer.array();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            if (e instanceof FragmentStoreException known) {
                throw known;
            }
            throw new FragmentStoreException(name, id, "cannot read " + path + ": " + e, e);
        }
    }

    private FragmentStoreException tooShort(FragmentId id, long size, long offset, int length) {
        return new FragmentStoreException(
                name,
                id,
                "fragment is " + size + " bytes long, too short to read [" + offset + ", " + (offset + length) + ")",
                null);
    }

    @Override
    public boolean delete(FragmentId id) {
        Path path = pathOf(id);
        try {
            boolean deleted = Files.deleteIfExists(path);
            if (deleted) {
                forceDirectory();
            }
            return deleted;
        } catch (IOException | RuntimeException e) {
            throw new FragmentStoreException(name, id, "cannot delete " + path + ": " + e, e);
        }
    }

    @Override
    public List<FragmentId> list() {
        List<FragmentId> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + FragmentId.EXTENSION)) {
            for (Path file : files) {
                FragmentId.fromFileName(file.getFileName().toString()).ifPresent(out::add);
            }
        } catch (IOException | RuntimeException e) {
            throw new FragmentStoreException(name, null, "cannot list " + dir + ": " + e, e);
        }
        out.sort(null);
        return out;
    }

    @Override
    public long bytes() {
        long total = 0;
        for (FragmentId id : list()) {
            try {
                total += Files.size(pathOf(id));
            } catch (NoSuchFileException deletedMeanwhile) {
                // not held any more
            } catch (IOException e) {
                throw new FragmentStoreException(name, id, "cannot size " + pathOf(id) + ": " + e, e);
            }
        }
        return total;
    }

    /** Makes the directory's entries (a rename, a delete) durable. */
    private void forceDirectory() throws IOException {
        if (File.separatorChar == '\\') {
            return; // Windows cannot open a directory to force it
        }
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    @Override
    public String toString() {
        return "LocalFragmentStore[" + name + " at " + dir + "]";
    }
}
