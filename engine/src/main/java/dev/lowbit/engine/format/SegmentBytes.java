package dev.lowbit.engine.format;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * A segment's bytes as ByteBuffers, in order: views of native and mapped memory (up to 1 GiB each), copies of Java
 * arrays other than {@code byte[]} (1 MiB at a time), which {@code asByteBuffer} cannot view (a matrix made from a
 * {@code float[]}, as AWQ's kept layers are).
 */
final class SegmentBytes {
    /** Receives one chunk and where it starts in the segment. */
    interface Sink {
        void accept(ByteBuffer chunk, long offset) throws IOException;
    }

    private SegmentBytes() {}

    static void forEach(MemorySegment segment, Sink sink) throws IOException {
        boolean view = segment.isNative() || segment.heapBase().map(base -> base instanceof byte[]).orElse(true);
        int step = view ? 1 << 30 : 1 << 20;
        byte[] copy = view ? null : new byte[(int) Math.min(step, segment.byteSize())];
        for (long at = 0; at < segment.byteSize(); at += step) {
            int n = (int) Math.min(step, segment.byteSize() - at);
            ByteBuffer chunk;
            if (view) {
                chunk = segment.asSlice(at, n).asByteBuffer();
            } else {
                MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, at, copy, 0, n);
                chunk = ByteBuffer.wrap(copy, 0, n);
            }
            sink.accept(chunk, at);
        }
    }
}
