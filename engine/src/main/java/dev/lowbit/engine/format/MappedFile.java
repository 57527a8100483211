package dev.lowbit.engine.format;

import dev.lowbit.engine.ModelFileException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only memory-mapped file with bounds-checked little-endian reads. Every read that would run past the
 * end reports the file as truncated instead of throwing an index exception.
 */
public final class MappedFile implements AutoCloseable {
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;

    private MappedFile(Path path, Arena arena, MemorySegment segment) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
    }

    public static MappedFile open(Path path) {
        if (Files.isDirectory(path)) throw new ModelFileException(path, "is a directory, expected a file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new MappedFile(path, arena, seg);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ModelFileException(path, "file not found");
        } catch (AccessDeniedException e) {
            arena.close();
            throw new ModelFileException(path, "permission denied");
        } catch (IOException e) {
            arena.close();
            throw new ModelFileException(path, "cannot read: " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    public long size() {
        return segment.byteSize();
    }

    public MemorySegment segment() {
        return segment;
    }

    /** An error about this file. */
    public ModelFileException error(String problem) {
        return new ModelFileException(path, problem);
    }

    /** Checks that {@code [offset, offset+length)} lies inside the file; {@code what} names the data for the error. */
    public void checkRange(long offset, long length, String what) {
        if (offset < 0 || length < 0 || offset > size() || length > size() - offset) {
            throw error("truncated: " + what + " needs bytes " + offset + ".." + (offset + length)
                    + " but the file has " + size());
        }
    }

    public MemorySegment slice(long offset, long length, String what) {
        checkRange(offset, length, what);
        return segment.asSlice(offset, length);
    }

    public int readInt(long offset, String what) {
        checkRange(offset, 4, what);
        return segment.get(LE_INT, offset);
    }

    public float[] readFloats(long offset, int count, String what) {
        checkRange(offset, 4L * count, what);
        float[] out = new float[count];
        MemorySegment.copy(segment, LE_FLOAT, offset, out, 0, count);
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }
}
