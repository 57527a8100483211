package dev.lowbit.engine.tokenizer;

import dev.lowbit.engine.ModelFileException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece {@code tokenizer.model} (the protobuf ModelProto Llama 2 and Mistral ship): the pieces (field 1:
 * text, score, type) read with a minimal protobuf wire-format reader; the trainer and normalizer specs are skipped.
 * Only BPE models with byte fallback and the usual "▁" normalization are what lowbit's SentencePiece BPE implements.
 */
public final class SentencePieceModelFile {
    private static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4;
    private static final long MAX_FILE = 64L << 20;

    private SentencePieceModelFile() {}

    /** True for a file whose first bytes look like a ModelProto (field 1, length-delimited) rather than tiktoken text. */
    public static boolean looksLikeProtobuf(Path path) {
        try (var in = Files.newInputStream(path)) {
            return in.read() == 0x0A;
        } catch (IOException e) {
            return false;
        }
    }

    public static SentencePieceBpe read(Path path) {
        byte[] bytes;
        try {
            if (Files.size(path) > MAX_FILE) throw new ModelFileException(path, "is larger than any SentencePiece model (" + Files.size(path) + " bytes)");
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new ModelFileException(path, "cannot read: " + e.getMessage(), e);
        }
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        try {
            Reader r = new Reader(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN), bytes.length);
            while (r.more()) {
                long key = r.varint();
                if (key == (1 << 3 | 2)) { // repeated SentencePiece pieces = 1
                    Reader p = r.message();
                    String text = null;
                    float score = 0;
                    int type = NORMAL;
                    while (p.more()) {
                        long k = p.varint();
                        if (k == (1 << 3 | 2)) text = p.string();
                        else if (k == (2 << 3 | 5)) score = p.float32();
                        else if (k == (3 << 3)) type = (int) p.varint();
                        else p.skip(k);
                    }
                    if (text == null) throw new IllegalArgumentException("piece " + pieces.size() + " has no text");
                    pieces.add(text);
                    scores.add(score);
                    types.add(type);
                } else {
                    r.skip(key);
                }
            }
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
            throw new ModelFileException(path, "not a valid SentencePiece model: " + (e.getMessage() == null ? "truncated" : e.getMessage()));
        }
        if (pieces.isEmpty()) throw new ModelFileException(path, "not a SentencePiece model: it has no pieces");
        int n = pieces.size();
        float[] s = new float[n];
        boolean[] control = new boolean[n];
        Map<String, Integer> specials = new HashMap<>();
        int unk = -1, bos = -1, eos = -1;
        for (int i = 0; i < n; i++) {
            s[i] = scores.get(i);
            int type = types.get(i);
            control[i] = type == CONTROL;
            if (type == CONTROL || type == USER_DEFINED) specials.putIfAbsent(pieces.get(i), i);
            if (type == UNKNOWN && unk < 0) unk = i;
            if (pieces.get(i).equals("<s>")) bos = i;
            if (pieces.get(i).equals("</s>")) eos = i;
        }
        return new SentencePieceBpe(pieces.toArray(String[]::new), s, control, bos, eos, unk, "\u2581", SpecialTokens.of(specials));
    }

    /** Protobuf wire format over a bounded slice of the buffer; every length is checked against the slice. */
    private static final class Reader {
        private final ByteBuffer buf;
        private final int end;

        Reader(ByteBuffer buf, int end) {
            this.buf = buf;
            this.end = end;
        }

        boolean more() {
            return buf.position() < end;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (buf.position() >= end) throw new IllegalArgumentException("truncated varint");
                byte b = buf.get();
                v |= (long) (b & 0x7F) << shift;
                if (b >= 0) return v;
            }
            throw new IllegalArgumentException("varint longer than 10 bytes");
        }

        private int length() {
            long len = varint();
            if (len < 0 || len > end - buf.position()) throw new IllegalArgumentException("field length " + len + " runs past its message");
            return (int) len;
        }

        Reader message() {
            int len = length();
            Reader r = new Reader(buf, buf.position() + len);
            return r;
        }

        String string() {
            int len = length();
            byte[] b = new byte[len];
            buf.get(b);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("piece text is not UTF-8");
            }
        }

        float float32() {
            if (end - buf.position() < 4) throw new IllegalArgumentException("truncated float");
            return buf.getFloat();
        }

        void skip(long key) {
            switch ((int) (key & 7)) {
                case 0 -> varint();
                case 1 -> advance(8);
                case 2 -> advance(length());
                case 5 -> advance(4);
                default -> throw new IllegalArgumentException("unsupported wire type " + (key & 7));
            }
        }

        private void advance(int n) {
            if (n > end - buf.position()) throw new IllegalArgumentException("field runs past its message");
            buf.position(buf.position() + n);
        }
    }
}
